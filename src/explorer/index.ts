// Wires the Clusters view: tree, welcome-view state, periodic refresh while visible, commands.
import * as vscode from 'vscode';
import type { AwsConnection, ConnectionState } from '../shared/awsConnection';
import type { Logger } from '../shared/logger';
import type { CommandTable } from '../shared/commands';
import { affectsExplorer, readExplorerSettings } from '../shared/settings';
import { ClusterTreeProvider } from './clusterTreeProvider';
import { ClusterDescriptionProvider, DESCRIPTION_SCHEME } from './clusterDescriptionProvider';
import * as commands from './explorerCommands';
import type { ExplorerNode } from './nodes';

/** How often clusters that are creating, updating, deleting or waiting for their agent are re-described. */
const TRANSITION_POLL_SECONDS = 15;

export interface Explorer {
  readonly tree: ClusterTreeProvider;
  readonly commands: CommandTable;
}

/** Sets up the Clusters view (created by the activation shell) and returns its tree and command handlers. */
export function registerExplorer(context: vscode.ExtensionContext, logger: Logger, connection: AwsConnection, view: vscode.TreeView<ExplorerNode>): Explorer {
  const log = logger.scoped('explorer');
  const tree = new ClusterTreeProvider(connection, log);
  void vscode.commands.executeCommand('setContext', 'eksConnector.state', 'loading');

  const showState = (state: ConnectionState | undefined) => {
    void vscode.commands.executeCommand('setContext', 'eksConnector.state', state?.kind ?? 'loading');
    const error = state?.kind === 'credentialsFailed' || state?.kind === 'noCredentials' ? state.error : undefined;
    void vscode.commands.executeCommand('setContext', 'eksConnector.errorKind', error?.kind ?? '');
    // A view message would hide the welcome content, so failures are explained there (Show Details) instead.
    if (state?.kind === 'ready' && state.configProblems.length) {
      const p = state.configProblems[0];
      view.message = `${p.file} line ${p.line} is skipped by the AWS SDK: ${p.problem}.`;
    } else {
      view.message = undefined;
    }
  };

  // Periodic refresh only while the view is visible: no AWS traffic for a hidden view. Clusters in transition are
  // re-described more often (never more often than the refresh the user chose; none when they turned it off).
  let timers: NodeJS.Timeout[] = [];
  let warned: string | undefined;
  const schedule = () => {
    timers.forEach(clearInterval);
    timers = [];
    if (!view.visible) return;
    const { refreshIntervalSeconds: seconds, refreshIntervalWarning } = readExplorerSettings();
    // Once per configured value, not on every show of the view.
    if (refreshIntervalWarning && refreshIntervalWarning !== warned) log.warn(refreshIntervalWarning);
    warned = refreshIntervalWarning;
    if (seconds > 0) {
      timers.push(setInterval(() => tree.refreshLoadedRegions(), seconds * 1000));
      timers.push(setInterval(() => void tree.pollTransitional(), Math.min(TRANSITION_POLL_SECONDS, seconds) * 1000));
    }
    timers.push(setInterval(() => tree.tickCountdowns(), 60_000));
  };

  context.subscriptions.push(
    tree,
    tree.onDidChangeState(showState),
    view.onDidChangeVisibility(schedule),
    connection.onDidChange(() => tree.refreshAll()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!affectsExplorer(e)) return;
      if (e.affectsConfiguration('eksConnector.regions')) tree.refreshAll();
      if (e.affectsConfiguration('eksConnector.refreshIntervalSeconds')) schedule();
    }),
    ...((provider) => [provider, vscode.workspace.registerTextDocumentContentProvider(DESCRIPTION_SCHEME, provider)])(new ClusterDescriptionProvider(tree)),
    { dispose: () => timers.forEach(clearInterval) },
  );
  schedule();
  return {
    tree,
    commands: {
      'eksConnector.refresh': () => tree.refreshAll(),
      'eksConnector.refreshRegion': (node?: ExplorerNode) => commands.refreshRegion(tree, node),
      'eksConnector.chooseRegions': () => commands.chooseRegions(),
      'eksConnector.chooseProfile': () => commands.chooseProfile(),
      'eksConnector.copyArn': (node?: ExplorerNode) => commands.copyArn(node ?? view.selection[0]),
      'eksConnector.openClusterDescription': (node?: ExplorerNode) => commands.openClusterDescription(node ?? view.selection[0]),
      'eksConnector.loadMore': (node?: ExplorerNode) => commands.loadMore(tree, node),
      'eksConnector.openAwsConfig': () => commands.openAwsConfig(),
      'eksConnector.showConnectionError': () => commands.showConnectionError(tree.connectionState),
      'eksConnector.ssoLogin': () => commands.ssoLogin(() => connection.replaceSession('the aws sso login terminal closed')),
    },
  };
}

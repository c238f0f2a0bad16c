// The features bundle (dist/features.js), loaded by the activation shell on first use: builds the services and
// every feature, and answers the shell's command dispatch.
import * as vscode from 'vscode';
import { Logger } from './shared/logger';
import { AwsConnection } from './shared/awsConnection';
import { runCommand, type CommandTable } from './shared/commands';
import { SecretRedactor } from './core/util/redact';
import { registerExplorer } from './explorer';
import { registrationCommands } from './registration';
import { clusterContextMemory } from './shared/clusterContextMemory';
import type { ClusterTreeProvider } from './explorer/clusterTreeProvider';
import type { ExplorerNode } from './explorer/nodes';
import { itemCommands } from './contributedCommands';

export interface Features {
  readonly clusterTree: ClusterTreeProvider;
  readonly logger: Logger;
  run(command: string, args: unknown[]): Promise<unknown>;
}

export function createFeatures(context: vscode.ExtensionContext, clustersView: vscode.TreeView<ExplorerNode>): Features {
  const redactor = new SecretRedactor();
  const logger = new Logger('EKS Connector', redactor);
  const version = (context.extension.packageJSON as { version?: string }).version ?? '0.0.0';
  const connection = new AwsConnection(logger.scoped('aws'), `eks-connector-vscode/${version}`);
  context.subscriptions.push(logger, connection);
  const explorer = registerExplorer(context, logger, connection, clustersView);
  const commands: CommandTable = {
    ...explorer.commands,
    ...registrationCommands(connection, explorer.tree, logger, clusterContextMemory(context.globalState)),
    'eksConnector.showLog': () => logger.show(),
  };
  // Failures name the command by the title the user clicked, not by its id.
  const titles = new Map(((context.extension.packageJSON as { contributes?: { commands?: Array<{ command: string; title: string }> } }).contributes?.commands ?? []).map((c) => [c.command, c.title]));
  const run = (command: string, args: unknown[]) => runCommand(logger, command, commands[command], args, titles.get(command));
  // The activation shell left these to us: only the view's items reach them, and none exists before this runs.
  for (const command of itemCommands) {
    context.subscriptions.push(vscode.commands.registerCommand(command, (...args: unknown[]) => run(command, args)));
  }
  return { clusterTree: explorer.tree, logger, run };
}

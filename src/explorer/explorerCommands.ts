// Commands of the Clusters view: refresh, region and profile pickers, copy ARN, open description, load more.
import * as vscode from 'vscode';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { EKS_REGIONS, PARTITION_NAMES, checkRegions, findRegion, resolveRegion, type PartitionId } from '../core/aws/regions';
import { readExplorerSettings, saveProfile, saveRegions } from '../shared/settings';
import { loadCore } from '../shared/core';
import { UserFacingError } from '../shared/commands';
import type { ClusterTreeProvider } from './clusterTreeProvider';
import type { ConnectionState } from '../shared/awsConnection';
import { formatDescribedError, ssoLoginArgs } from '../core/aws/errors';
import { AccountNode, ClusterNode, LoadMoreNode, RegionNode, type ExplorerNode } from './nodes';
import { descriptionUri } from './clusterDescriptionProvider';

export async function chooseRegions(): Promise<void> {
  const settings = readExplorerSettings();
  const chosen = new Set(settings.regions);
  if (chosen.size === 0) {
    const fromProfile = await loadCore().profileRegion(settings.profile).catch(() => undefined);
    if (fromProfile) chosen.add(fromProfile);
  }
  type RegionItem = vscode.QuickPickItem & { regionId?: string };
  const items: RegionItem[] = [];
  for (const partition of ['aws', 'aws-cn', 'aws-us-gov'] as PartitionId[]) {
    items.push({ label: PARTITION_NAMES[partition], kind: vscode.QuickPickItemKind.Separator });
    for (const region of EKS_REGIONS.filter((r) => r.partition === partition)) {
      items.push({
        label: region.id,
        description: region.name,
        detail: region.connectorSupported ? undefined : 'EKS clusters only: the EKS Connector is not available here',
        picked: chosen.has(region.id),
        regionId: region.id,
      });
    }
  }
  // Regions missing from the bundled list (set in settings or the profile) are offered too, already picked.
  const unlisted = [...chosen].filter((id) => !findRegion(id) && resolveRegion(id));
  if (unlisted.length) {
    items.push({ label: 'Not in the bundled region list', kind: vscode.QuickPickItemKind.Separator });
    for (const id of unlisted) items.push({ label: id, description: 'not in this version\'s list of EKS regions', picked: true, regionId: id });
  }
  // Keep configured entries that are not region names at all, so choosing never silently drops what the user typed.
  const unknown = checkRegions(settings.regions).unknown;
  const picked = await vscode.window.showQuickPick(items, {
    canPickMany: true,
    title: 'EKS Connector: Regions to show',
    placeHolder: 'Select the regions whose clusters the Clusters view lists',
    matchOnDescription: true,
  });
  if (!picked) return;
  const regions = [...picked.filter((i) => i.regionId).map((i) => i.regionId!), ...unknown];
  await saveRegions(regions);
}

export async function chooseProfile(): Promise<void> {
  const core = loadCore();
  const [profiles, problems] = await Promise.all([core.listProfiles(), core.lintAwsConfigFiles()]);
  const current = readExplorerSettings().profile;
  type ProfileItem = vscode.QuickPickItem & { profile?: string };
  const sourceLabel: Record<string, string> = {
    static: 'access keys', sso: 'IAM Identity Center (SSO)', process: 'credential_process', assumeRole: 'assumes a role',
    webIdentity: 'web identity', login: 'console login', none: 'no credentials in this profile',
  };
  const items: ProfileItem[] = [
    { label: '$(settings-gear) AWS SDK default', description: 'AWS_PROFILE, environment credentials, then the default profile', profile: undefined, picked: !current },
    ...profiles.map((p) => ({
      label: p.name,
      description: [p.region, sourceLabel[p.source], p.hasEndpointUrl ? 'custom endpoint' : undefined].filter(Boolean).join(' · '),
      detail: p.name === current ? 'Currently selected' : undefined,
      profile: p.name,
    })),
  ];
  if (profiles.length === 0) {
    const paths = core.awsConfigPaths();
    throw new UserFacingError(`No AWS profiles were found in ${paths.configFile} or ${paths.credentialsFile}. Run \`aws configure\` or \`aws configure sso\` in a terminal to create one.`,
      [{ title: 'Open AWS Config File', run: () => vscode.commands.executeCommand('eksConnector.openAwsConfig') }]);
  }
  const picked = await vscode.window.showQuickPick(items, {
    title: 'EKS Connector: AWS profile',
    placeHolder: problems.length
      ? `Note: ${path.basename(problems[0].file)} line ${problems[0].line} is not valid and is skipped (${problems[0].problem})`
      : 'Choose the profile whose credentials list the clusters',
    matchOnDescription: true,
  });
  if (!picked) return;
  await saveProfile(picked.profile);
}

export async function openAwsConfig(): Promise<void> {
  const { configFile } = loadCore().awsConfigPaths();
  try {
    await fs.access(configFile);
  } catch {
    await fs.mkdir(path.dirname(configFile), { recursive: true });
    await fs.writeFile(configFile, '# AWS CLI and SDK configuration. Example:\n# [profile my-profile]\n# region = us-west-2\n# sso_session = my-sso\n', { flag: 'wx', mode: 0o600 }).catch(() => undefined);
  }
  await vscode.window.showTextDocument(vscode.Uri.file(configFile));
}

export async function copyArn(node: ExplorerNode | undefined): Promise<void> {
  let arn: string | undefined;
  if (node instanceof ClusterNode) arn = node.summary?.arn;
  else if (node instanceof AccountNode) arn = node.identity.arn;
  if (!arn) throw new UserFacingError('Copy ARN needs a loaded cluster or the account node: select one in the Clusters view.');
  await vscode.env.clipboard.writeText(arn);
  vscode.window.setStatusBarMessage(`Copied ${arn}`, 3000);
}

export async function openClusterDescription(node: ExplorerNode | undefined): Promise<void> {
  if (!(node instanceof ClusterNode)) throw new UserFacingError('Open Cluster Description needs a cluster: run it from a cluster in the Clusters view.');
  const document = await vscode.workspace.openTextDocument(descriptionUri(node.account, node.region, node.name));
  await vscode.languages.setTextDocumentLanguage(document, 'json');
  await vscode.window.showTextDocument(document, { preview: true });
}

export function refreshRegion(tree: ClusterTreeProvider, node: ExplorerNode | undefined): void {
  if (node instanceof RegionNode) tree.refreshRegion(node);
  else tree.refreshAll();
}

export async function loadMore(tree: ClusterTreeProvider, node: ExplorerNode | undefined): Promise<void> {
  if (node instanceof LoadMoreNode) await tree.loadMore(node);
}

/** The full reason and fix for a failed credentials state, with the actions that fix it. */
export async function showConnectionError(state: ConnectionState | undefined): Promise<void> {
  if (state?.kind !== 'credentialsFailed' && state?.kind !== 'noCredentials') {
    void vscode.window.showInformationMessage('The AWS credentials work: nothing to report.');
    return;
  }
  const error = state.error;
  const actions = [...(error.kind === 'ssoExpired' ? ['Sign In Again'] : []), 'Choose AWS Profile', 'Retry'];
  const choice = await vscode.window.showErrorMessage(formatDescribedError(error), ...actions);
  if (choice === 'Sign In Again') await vscode.commands.executeCommand('eksConnector.ssoLogin');
  else if (choice === 'Choose AWS Profile') await vscode.commands.executeCommand('eksConnector.chooseProfile');
  else if (choice === 'Retry') await vscode.commands.executeCommand('eksConnector.refresh');
}

/**
 * Runs `aws sso login [--profile …]` in a terminal as an argument vector: no shell reads the profile name, so no
 * name can inject shell syntax. The terminal closes when the command ends, and the credentials are then reloaded.
 */
export function ssoLogin(reload: () => void): void {
  const [shellPath, ...shellArgs] = ssoLoginArgs(readExplorerSettings().profile);
  const terminal = vscode.window.createTerminal({ name: 'AWS SSO sign-in', shellPath, shellArgs });
  const closed = vscode.window.onDidCloseTerminal((t) => {
    if (t !== terminal) return;
    closed.dispose();
    reload();
  });
  terminal.show();
}

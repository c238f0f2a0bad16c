// Typed access to the extension's flat settings.
import * as vscode from 'vscode';
import { refreshIntervalFrom } from '../core/clusters/refreshInterval';

const SECTION = 'eksConnector';

export interface ExplorerSettings {
  readonly regions: string[];
  readonly profile: string | undefined;
  /** 0 = automatic refresh off. */
  readonly refreshIntervalSeconds: number;
  /** Why the configured refresh interval was replaced by `refreshIntervalSeconds`, when it was. */
  readonly refreshIntervalWarning?: string;
}

/**
 * A setting that decides where credentials or secrets go, from the user (or remote machine) settings or its
 * default only. These settings are machine-scoped, so VS Code already ignores them in a workspace; they are not
 * taken from a workspace or folder here either, whatever VS Code does, so a cloned repository cannot set them.
 */
function userSetting(key: string): { value: unknown; fromUser: boolean; ignoredIn: string[] } {
  const inspected = vscode.workspace.getConfiguration(SECTION).inspect<unknown>(key);
  const ignoredIn: string[] = [];
  if (inspected?.workspaceValue !== undefined) ignoredIn.push('the workspace settings');
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    if (vscode.workspace.getConfiguration(SECTION, folder.uri).inspect<unknown>(key)?.workspaceFolderValue !== undefined) {
      ignoredIn.push(`the settings of folder ${folder.name}`);
    }
  }
  const fromUser = inspected?.globalValue !== undefined;
  return { value: fromUser ? inspected?.globalValue : inspected?.defaultValue, fromUser, ignoredIn };
}

/** A hand-edited value that is not a non-blank string counts as unset. */
function nonBlank(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

export function readExplorerSettings(): ExplorerSettings {
  const config = vscode.workspace.getConfiguration(SECTION);
  const regions = config.get<unknown>('regions');
  const interval = refreshIntervalFrom(config.get<unknown>('refreshIntervalSeconds'));
  return {
    // A hand-edited settings.json can hold anything: keep strings, ignore the rest rather than crash.
    regions: Array.isArray(regions) ? regions.filter((r): r is string => typeof r === 'string' && r.trim() !== '') : [],
    profile: nonBlank(userSetting('profile').value),
    refreshIntervalSeconds: interval.seconds,
    ...(interval.warning ? { refreshIntervalWarning: interval.warning } : {}),
  };
}

export async function saveRegions(regions: string[]): Promise<void> {
  await vscode.workspace.getConfiguration(SECTION).update('regions', regions, vscode.ConfigurationTarget.Global);
}

export async function saveProfile(profile: string | undefined): Promise<void> {
  await vscode.workspace.getConfiguration(SECTION).update('profile', profile ?? '', vscode.ConfigurationTarget.Global);
}

export function affectsExplorer(event: vscode.ConfigurationChangeEvent): boolean {
  return event.affectsConfiguration(SECTION);
}

/** How the connector is installed on a cluster being registered; empty image settings mean the pinned defaults. */
export interface ConnectorSettings {
  /** Each override with where it was set, for the checklist. */
  readonly images: {
    readonly connector?: string;
    readonly ssmAgent?: string;
    readonly origin: { readonly connector?: string; readonly ssmAgent?: string };
  };
  readonly nodeSelector: boolean;
  /** Image settings found in a workspace or folder and ignored, one sentence each, for the log. */
  readonly warnings: string[];
}

export function readConnectorSettings(): ConnectorSettings {
  const config = vscode.workspace.getConfiguration(SECTION);
  const warnings: string[] = [];
  // A bad reference is refused by the pre-flight, naming the setting it came from.
  const image = (key: 'connectorImage' | 'ssmAgentImage') => {
    const setting = userSetting(key);
    for (const where of setting.ignoredIn) {
      warnings.push(`${SECTION}.${key} in ${where} is ignored: the images that receive a cluster's activation code are taken from your user settings only.`);
    }
    const value = setting.fromUser ? nonBlank(setting.value) : undefined;
    return { value, origin: value === undefined ? undefined : `your user settings ${SECTION}.${key}` };
  };
  const connector = image('connectorImage');
  const ssmAgent = image('ssmAgentImage');
  return {
    images: { connector: connector.value, ssmAgent: ssmAgent.value, origin: { connector: connector.origin, ssmAgent: ssmAgent.origin } },
    nodeSelector: config.get<unknown>('pinToLinuxAmd64Nodes') !== false,
    warnings,
  };
}

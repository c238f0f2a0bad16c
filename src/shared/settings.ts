// Typed access to the extension's flat settings.
import * as vscode from 'vscode';

const SECTION = 'eksConnector';

export interface ExplorerSettings {
  readonly regions: string[];
  readonly profile: string | undefined;
  readonly refreshIntervalSeconds: number;
}

export function readExplorerSettings(): ExplorerSettings {
  const config = vscode.workspace.getConfiguration(SECTION);
  const regions = config.get<unknown>('regions');
  const interval = config.get<number>('refreshIntervalSeconds', 300);
  return {
    // A hand-edited settings.json can hold anything: keep strings, ignore the rest rather than crash.
    regions: Array.isArray(regions) ? regions.filter((r): r is string => typeof r === 'string' && r.trim() !== '') : [],
    profile: config.get<string>('profile')?.trim() || undefined,
    refreshIntervalSeconds: Number.isFinite(interval) && interval >= 0 ? interval : 300,
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
  readonly images: { readonly connector?: string; readonly ssmAgent?: string };
  readonly nodeSelector: boolean;
}

export function readConnectorSettings(): ConnectorSettings {
  const config = vscode.workspace.getConfiguration(SECTION);
  // Hand-edited values that are not strings count as unset; a bad reference is refused by the pre-flight.
  const image = (key: string) => {
    const value = config.get<unknown>(key);
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  };
  return {
    images: { connector: image('connectorImage'), ssmAgent: image('ssmAgentImage') },
    nodeSelector: config.get<unknown>('pinToLinuxAmd64Nodes') !== false,
  };
}

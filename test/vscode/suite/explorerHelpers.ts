// Helpers for in-host tests of the Clusters view: drive settings, read the tree the way the view does.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extensionApi';
import type { ExplorerNode } from '../../../src/explorer/nodes';

export const EXTENSION_ID = 'eks-connector-vscode.eks-connector-vscode';

export async function extensionApi(): Promise<ExtensionApi> {
  const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not installed`);
  return ext.activate();
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function configure(settings: { profile?: string; regions?: string[] }): Promise<void> {
  const config = vscode.workspace.getConfiguration('eksConnector');
  if (settings.profile !== undefined) await config.update('profile', settings.profile, vscode.ConfigurationTarget.Global);
  if (settings.regions !== undefined) await config.update('regions', settings.regions, vscode.ConfigurationTarget.Global);
}

export interface ItemView {
  readonly node: ExplorerNode;
  readonly label: string;
  readonly description: string;
  readonly icon: string | undefined;
  readonly contextValue: string | undefined;
  readonly tooltip: string;
  readonly id: string | undefined;
  readonly command: vscode.Command | undefined;
}

export function view(api: ExtensionApi, node: ExplorerNode): ItemView {
  const item = api.clusterTree.getTreeItem(node) as vscode.TreeItem;
  const tooltip = item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : String(item.tooltip ?? '');
  return {
    node,
    label: typeof item.label === 'string' ? item.label : item.label?.label ?? '',
    description: typeof item.description === 'string' ? item.description : '',
    icon: item.iconPath instanceof vscode.ThemeIcon ? item.iconPath.id : undefined,
    contextValue: item.contextValue,
    tooltip,
    id: item.id,
    command: item.command,
  };
}

/** The root once the connection state is settled (after a refresh). */
export async function rootWhenSettled(api: ExtensionApi, expected: string): Promise<ItemView[]> {
  return waitFor(`the Clusters view to reach state "${expected}"`, async () => {
    const children = await api.clusterTree.getChildren();
    const state = api.clusterTree.connectionState?.kind;
    return state === expected ? children.map((n) => view(api, n)) : undefined;
  });
}

export async function childrenOf(api: ExtensionApi, parent: ItemView): Promise<ItemView[]> {
  return (await api.clusterTree.getChildren(parent.node)).map((n) => view(api, n));
}

/** Children of a region once it has listed its clusters (no refresh under way) and each one's DescribeCluster has landed. */
export async function settledClusters(api: ExtensionApi, region: ItemView): Promise<ItemView[]> {
  return waitFor(`every cluster in ${region.label} to be described`, async () => {
    if (view(api, region.node).description === 'loading…') return undefined;
    const children = await childrenOf(api, region);
    return children.every((c) => c.node.type !== 'cluster' || c.description !== 'loading…') ? children : undefined;
  });
}

// Tree nodes of the Clusters view. Node objects are kept stable across refreshes (per id) so that VS Code keeps
// selection and expansion, and a single node can be updated when its DescribeCluster result lands.
import * as vscode from 'vscode';
import type { Cluster } from '@aws-sdk/client-eks';
import type { RegionInfo } from '../core/aws/regions';
import { PARTITION_NAMES } from '../core/aws/regions';
import { errorHeadline, type DescribedError } from '../core/aws/errors';
import {
  ATTENTION_COLORS, clusterContextValue, clusterDescription, isActivationExpired, clusterNodeId, clusterTooltip, statusIcon, type ClusterSummary, type DateDisplay,
} from '../core/clusters/clusterModel';

export interface Identity {
  readonly account: string;
  readonly arn: string;
}

export class AccountNode {
  readonly type = 'account';
  constructor(readonly identity: Identity, readonly profile: string | undefined) {}

  toTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(`Account ${this.identity.account}`, vscode.TreeItemCollapsibleState.None);
    item.id = `account:${this.identity.account}`;
    item.description = this.profile ? `profile ${this.profile}` : 'default credentials';
    item.tooltip = new vscode.MarkdownString(`Signed in as \`${this.identity.arn}\`\n\nProfile: ${this.profile ?? '(AWS SDK default chain)'}`);
    item.iconPath = new vscode.ThemeIcon('account');
    item.contextValue = 'eksConnector.account';
    return item;
  }
}

export class RegionNode {
  readonly type = 'region';
  readonly id: string;
  /** True while a refresh of the region (a retry, Refresh Region) is listing its clusters. */
  loading = false;
  constructor(readonly account: string, readonly region: RegionInfo) {
    this.id = `${account}:${region.id}`;
  }

  toTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.region.id, vscode.TreeItemCollapsibleState.Expanded);
    item.id = this.id;
    const about = [this.region.unlisted ? 'not in the bundled region list' : this.region.name];
    if (!this.region.connectorSupported) about.push('no EKS Connector');
    item.description = this.loading ? 'loading…' : about.join(' · ');
    item.tooltip = new vscode.MarkdownString([
      `**${this.region.id}** — ${this.region.name}`,
      `Partition: ${PARTITION_NAMES[this.region.partition]}`,
      this.region.unlisted
        ? 'This region is not in the list of EKS regions bundled with this version of the extension (a region launched since, or a mistyped name). Its clusters are listed anyway; if listing fails, check the name in the setting **eksConnector.regions** or the profile\'s `region`.'
        : '',
      this.region.connectorSupported
        ? 'Lists EKS clusters and clusters registered through the EKS Connector.'
        : 'Lists EKS clusters. The EKS Connector is not available in this partition, so clusters cannot be registered here.',
    ].filter(Boolean).join('\n\n'));
    item.iconPath = this.loading
      ? new vscode.ThemeIcon('loading~spin')
      : this.region.unlisted ? new vscode.ThemeIcon('warning', new vscode.ThemeColor(ATTENTION_COLORS.warning)) : new vscode.ThemeIcon('globe');
    item.contextValue = this.region.connectorSupported ? 'eksConnector.region.connector' : 'eksConnector.region.noConnector';
    return item;
  }
}

export class ClusterNode {
  readonly type = 'cluster';
  readonly id: string;
  summary?: ClusterSummary;
  cluster?: Cluster;
  error?: DescribedError;

  /**
   * The region node the cluster was last listed under. Moved to the current one when a full refresh recreates
   * the region nodes: VS Code finds elements by identity, so a stale parent would make its refreshes no-ops.
   */
  parent: RegionNode;

  constructor(readonly account: string, readonly region: string, readonly name: string, parent: RegionNode) {
    this.id = clusterNodeId(account, region, name);
    this.parent = parent;
  }

  toTreeItem(now: Date, display: DateDisplay = {}): vscode.TreeItem {
    const item = new vscode.TreeItem(this.name, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    if (this.summary) {
      const icon = statusIcon(this.summary, now);
      item.iconPath = new vscode.ThemeIcon(icon.codicon, icon.color ? new vscode.ThemeColor(icon.color) : undefined);
      item.description = clusterDescription(this.summary, now);
      const tooltip = clusterTooltip(this.summary, now, display);
      if (this.error) tooltip.push(`Last refresh failed: ${this.error.reason}`);
      item.tooltip = new vscode.MarkdownString(tooltip.join('\n\n'));
      // An expired activation can only be deregistered: the menus leave out Grant, Revoke and Repair for it.
      item.contextValue = `${clusterContextValue(this.summary)}${isActivationExpired(this.summary, now) ? '.expired' : ''}`;
      item.accessibilityInformation = { label: `${this.name}, ${item.description}, status ${this.summary.status}` };
    } else if (this.error) {
      item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor(ATTENTION_COLORS.warning));
      item.description = 'details unavailable';
      item.tooltip = new vscode.MarkdownString(`**${this.name}**\n\n${this.error.summary}: ${this.error.reason}\n\n${this.error.fix}`);
      item.contextValue = 'eksConnector.cluster.unknown';
    } else {
      item.iconPath = new vscode.ThemeIcon('loading~spin');
      item.description = 'loading…';
      item.contextValue = 'eksConnector.cluster.unknown';
    }
    return item;
  }
}

export class LoadMoreNode {
  readonly type = 'loadMore';
  loading = false;
  constructor(readonly parent: RegionNode) {}

  toTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.loading ? 'Loading more clusters…' : 'Load more…', vscode.TreeItemCollapsibleState.None);
    item.id = `${this.parent.id}:__loadMore`;
    item.iconPath = new vscode.ThemeIcon(this.loading ? 'loading~spin' : 'ellipsis');
    item.contextValue = 'eksConnector.loadMore';
    if (!this.loading) item.command = { command: 'eksConnector.loadMore', title: 'Load More Clusters', arguments: [this] };
    return item;
  }
}

export interface MessageOptions {
  readonly description?: string;
  readonly tooltip?: string;
  readonly severity: 'error' | 'warning' | 'info' | 'loading';
  readonly command?: vscode.Command;
  readonly parent?: RegionNode;
}

export class MessageNode {
  readonly type = 'message';
  constructor(readonly id: string, readonly label: string, readonly options: MessageOptions) {}

  toTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.label, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.description = this.options.description;
    if (this.options.tooltip) item.tooltip = new vscode.MarkdownString(this.options.tooltip);
    const icon = { error: ['error', ATTENTION_COLORS.error], warning: ['warning', ATTENTION_COLORS.warning], info: ['info', undefined], loading: ['loading~spin', undefined] }[this.options.severity];
    item.iconPath = new vscode.ThemeIcon(icon[0] as string, icon[1] ? new vscode.ThemeColor(icon[1]) : undefined);
    item.contextValue = this.options.severity === 'error' ? 'eksConnector.error' : 'eksConnector.message';
    item.command = this.options.command;
    return item;
  }

  static forError(id: string, error: DescribedError, retry: vscode.Command | undefined, parent?: RegionNode): MessageNode {
    return new MessageNode(id, errorHeadline(error), {
      severity: 'error',
      description: retry ? 'click to retry' : undefined,
      tooltip: [`**${error.summary}**`, error.reason, error.fix, error.command ? `\`${error.command}\`` : ''].filter(Boolean).join('\n\n'),
      command: retry,
      parent,
    });
  }
}

export type ExplorerNode = AccountNode | RegionNode | ClusterNode | LoadMoreNode | MessageNode;

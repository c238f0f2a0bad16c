// What the explorer shows for a cluster, derived from DescribeCluster. Pure functions: the tree renders these
// strings and icon ids, and unit tests check them without VS Code.
import type { Cluster } from '@aws-sdk/client-eks';

export type ClusterKind = 'eks' | 'connected';
export type ClusterStatus = 'CREATING' | 'ACTIVE' | 'DELETING' | 'FAILED' | 'UPDATING' | 'PENDING';

export interface ClusterSummary {
  readonly name: string;
  readonly region: string;
  readonly arn: string;
  readonly kind: ClusterKind;
  readonly status: ClusterStatus | string;
  readonly version?: string;
  readonly platformVersion?: string;
  readonly provider?: string;
  readonly createdAt?: Date;
  readonly roleArn?: string;
  readonly activationExpiry?: Date;
  readonly endpoint?: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** The activation window the service gives a registration (72 h): the fallback when no expiry is returned. */
export const ACTIVATION_WINDOW_MS = 72 * 60 * 60 * 1000;

export function summarizeCluster(cluster: Cluster, region: string): ClusterSummary {
  const connector = cluster.connectorConfig;
  return {
    name: cluster.name ?? '',
    region,
    arn: cluster.arn ?? '',
    // A connectorConfig is what distinguishes a registered cluster; ListClusters gives no type flag.
    kind: connector ? 'connected' : 'eks',
    status: cluster.status ?? 'UNKNOWN',
    version: cluster.version,
    platformVersion: cluster.platformVersion,
    provider: connector?.provider,
    createdAt: cluster.createdAt,
    roleArn: connector?.roleArn ?? cluster.roleArn,
    activationExpiry: connector?.activationExpiry,
    endpoint: cluster.endpoint,
    tags: cluster.tags ?? {},
  };
}

/** Codicon id and theme color id for a status. */
export interface StatusIcon {
  readonly codicon: string;
  readonly color?: string;
}

export function statusIcon(summary: Pick<ClusterSummary, 'status' | 'kind'>): StatusIcon {
  switch (summary.status) {
    case 'ACTIVE':
      return { codicon: summary.kind === 'connected' ? 'plug' : 'vm-running', color: 'testing.iconPassed' };
    case 'PENDING':
      return { codicon: 'watch', color: 'list.warningForeground' };
    case 'CREATING':
    case 'UPDATING':
      return { codicon: 'sync~spin', color: 'charts.blue' };
    case 'DELETING':
      return { codicon: 'trash', color: 'disabledForeground' };
    case 'FAILED':
      return { codicon: 'error', color: 'list.errorForeground' };
    default:
      return { codicon: 'question' };
  }
}

/** "expires in 2 d 5 h", "expires in 42 min", or "activation expired". */
export function activationCountdown(expiry: Date, now: Date): string {
  const left = expiry.getTime() - now.getTime();
  if (left <= 0) return 'activation expired';
  const minutes = Math.floor(left / 60_000);
  if (minutes < 1) return 'activation expires in under a minute';
  if (minutes < 60) return `activation expires in ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `activation expires in ${hours} h ${minutes % 60} min`;
  return `activation expires in ${Math.floor(hours / 24)} d ${hours % 24} h`;
}

function isAwaitingActivation(summary: ClusterSummary): boolean {
  return summary.kind === 'connected' && (summary.status === 'PENDING' || summary.status === 'CREATING');
}

export function isActivationExpired(summary: ClusterSummary, now: Date): boolean {
  if (summary.kind !== 'connected' || !summary.activationExpiry) return false;
  return (isAwaitingActivation(summary) || summary.status === 'FAILED') && summary.activationExpiry.getTime() <= now.getTime();
}

/** The tree item's description: "1.31" for EKS, "RANCHER" for a connected cluster, plus the activation clock. */
export function clusterDescription(summary: ClusterSummary, now: Date): string {
  const parts: string[] = [];
  if (summary.kind === 'eks') {
    parts.push(summary.version ? `EKS ${summary.version}` : 'EKS');
  } else {
    parts.push(`connected · ${summary.provider ?? 'OTHER'}`);
    if (summary.version) parts.push(summary.version);
  }
  if (summary.status !== 'ACTIVE') parts.push(String(summary.status).toLowerCase());
  if (isActivationExpired(summary, now)) parts.push('activation expired');
  // Short in the description ("expires in 2 d 4 h"); the tooltip carries the full sentence.
  else if (isAwaitingActivation(summary) && summary.activationExpiry) parts.push(activationCountdown(summary.activationExpiry, now).replace(/^activation /, ''));
  return parts.join(' · ');
}

/** Tooltip lines (Markdown), ARN first. */
export function clusterTooltip(summary: ClusterSummary, now: Date): string[] {
  const lines = [`**${summary.name}** — ${summary.kind === 'connected' ? 'cluster connected through the EKS Connector' : 'Amazon EKS cluster'}`];
  lines.push(`Status: ${summary.status}`);
  lines.push(`ARN: \`${summary.arn}\``);
  if (summary.createdAt) lines.push(`${summary.kind === 'connected' ? 'Registered' : 'Created'}: ${summary.createdAt.toISOString()}`);
  if (summary.version) lines.push(`Kubernetes: ${summary.version}${summary.platformVersion ? ` (${summary.platformVersion})` : ''}`);
  if (summary.provider) lines.push(`Provider: ${summary.provider}`);
  if (summary.roleArn) lines.push(`${summary.kind === 'connected' ? 'Connector agent role' : 'Cluster role'}: \`${summary.roleArn}\``);
  // Once the agent has connected (ACTIVE) the activation no longer matters, so it is not shown.
  if (summary.activationExpiry && summary.kind === 'connected' && summary.status !== 'ACTIVE') {
    const state = isActivationExpired(summary, now) ? 'expired' : 'expires';
    lines.push(`Activation ${state}: ${summary.activationExpiry.toISOString()}`);
    if (state === 'expires') lines.push(`The ${activationCountdown(summary.activationExpiry, now)}: apply the connector manifest before then.`);
    if (isActivationExpired(summary, now)) lines.push('The activation can no longer be used: deregister the cluster and register it again.');
  }
  return lines;
}

/** `eksConnector.cluster.<eks|connected>.<status>` so menus can match kind and status with a regex. */
export function clusterContextValue(summary: Pick<ClusterSummary, 'kind' | 'status'>): string {
  return `eksConnector.cluster.${summary.kind}.${String(summary.status).toLowerCase()}`;
}

/** Stable tree id: account:region:name (survives refreshes, so menus and expansion state keep their target). */
export function clusterNodeId(account: string, region: string, name: string): string {
  return `${account}:${region}:${name}`;
}

/** DescribeCluster output safe to show and log: the activation code never leaves the registration flow. */
export function redactClusterForDisplay(cluster: Cluster): Cluster {
  if (!cluster.connectorConfig?.activationCode) return cluster;
  return { ...cluster, connectorConfig: { ...cluster.connectorConfig, activationCode: '<redacted>' } };
}

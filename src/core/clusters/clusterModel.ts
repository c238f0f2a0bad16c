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

/**
 * Theme colours that keep their hue in every theme. The `list.*Foreground` colours fall back to the plain
 * foreground in High Contrast themes, which would turn exactly the states that need attention white; the chart
 * colours (editorError/editorWarning/editorInfo underneath) are defined for Dark and Light High Contrast too.
 */
export const ATTENTION_COLORS = {
  error: 'charts.red',
  warning: 'charts.yellow',
  busy: 'charts.blue',
  healthy: 'testing.iconPassed',
  gone: 'disabledForeground',
} as const;

/** Under this much time left, an unused activation is shown as urgent. */
export const URGENT_ACTIVATION_MS = 24 * 60 * 60 * 1000;

export function statusIcon(summary: Pick<ClusterSummary, 'status' | 'kind'> & Partial<Pick<ClusterSummary, 'activationExpiry'>>, now = new Date()): StatusIcon {
  switch (summary.status) {
    case 'ACTIVE':
      return { codicon: summary.kind === 'connected' ? 'plug' : 'vm-running', color: ATTENTION_COLORS.healthy };
    case 'PENDING':
      if (summary.kind === 'connected' && summary.activationExpiry && summary.activationExpiry.getTime() <= now.getTime()) return { codicon: 'error', color: ATTENTION_COLORS.error };
      if (isActivationUrgent(summary, now)) return { codicon: 'warning', color: ATTENTION_COLORS.warning };
      return { codicon: 'watch', color: ATTENTION_COLORS.warning };
    case 'CREATING':
    case 'UPDATING':
      return { codicon: 'sync~spin', color: ATTENTION_COLORS.busy };
    case 'DELETING':
      return { codicon: 'trash', color: ATTENTION_COLORS.gone };
    case 'FAILED':
      return { codicon: 'error', color: ATTENTION_COLORS.error };
    default:
      return { codicon: 'question' };
  }
}

/** A short duration: "2 d 5 h" from a day on, "20 h" under a day, "42 min" under an hour. */
export function shortDuration(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return 'under a minute';
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** "activation expires in 2 d 5 h", "activation expires in 20 h", or "activation expired". */
export function activationCountdown(expiry: Date, now: Date): string {
  const left = expiry.getTime() - now.getTime();
  if (left <= 0) return 'activation expired';
  return `activation expires in ${shortDuration(left)}`;
}

function isAwaitingActivation(summary: Pick<ClusterSummary, 'status' | 'kind'>): boolean {
  return summary.kind === 'connected' && (summary.status === 'PENDING' || summary.status === 'CREATING');
}

export function isActivationExpired(summary: ClusterSummary, now: Date): boolean {
  if (summary.kind !== 'connected' || !summary.activationExpiry) return false;
  return (isAwaitingActivation(summary) || summary.status === 'FAILED') && summary.activationExpiry.getTime() <= now.getTime();
}

/** An activation still unused with less than a day left: the manifest must be applied soon. */
export function isActivationUrgent(summary: Pick<ClusterSummary, 'status' | 'kind'> & Partial<Pick<ClusterSummary, 'activationExpiry'>>, now: Date): boolean {
  if (!isAwaitingActivation(summary) || !summary.activationExpiry) return false;
  const left = summary.activationExpiry.getTime() - now.getTime();
  return left > 0 && left < URGENT_ACTIVATION_MS;
}

/**
 * The tree item's description, most urgent first so that the default side-bar width (about 18 characters after
 * a cluster name) still shows it: the status when it is not ACTIVE, the activation clock ("2 d 4 h left"), then
 * the kind ("EKS 1.31", "connected · RANCHER") and version. The tooltip carries the dates.
 */
export function clusterDescription(summary: ClusterSummary, now: Date): string {
  const parts: string[] = [];
  if (summary.status !== 'ACTIVE') parts.push(String(summary.status).toLowerCase());
  if (isActivationExpired(summary, now)) parts.push('activation expired');
  else if (isAwaitingActivation(summary) && summary.activationExpiry) parts.push(`${shortDuration(summary.activationExpiry.getTime() - now.getTime())} left`);
  if (summary.kind === 'eks') {
    parts.push(summary.version ? `EKS ${summary.version}` : 'EKS');
  } else {
    parts.push(`connected · ${summary.provider ?? 'OTHER'}`);
    if (summary.version) parts.push(summary.version);
  }
  return parts.join(' · ');
}

/** How dates are shown: in the user's locale (VS Code's display language) and, for tests, a fixed time zone. */
export interface DateDisplay {
  readonly locale?: string;
  readonly timeZone?: string;
}

const RELATIVE_UNITS: ReadonlyArray<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * 86_400_000], ['month', 30 * 86_400_000], ['week', 7 * 86_400_000], ['day', 86_400_000],
  ['hour', 3_600_000], ['minute', 60_000], ['second', 1000],
];

/** "20 hours ago", "in 2 days", "now": the largest whole unit, in the user's locale. */
export function relativeTime(date: Date, now: Date, display: DateDisplay = {}): string {
  const delta = date.getTime() - now.getTime();
  const format = new Intl.RelativeTimeFormat(display.locale, { numeric: 'auto' });
  for (const [unit, ms] of RELATIVE_UNITS) {
    if (Math.abs(delta) >= ms) return format.format(Math.trunc(delta / ms), unit);
  }
  return format.format(0, 'second');
}

/** "Mar 14, 2025, 9:30 AM (8 months ago)": the date in the user's locale, then how long ago or ahead it is. */
export function formatDate(date: Date, now: Date, display: DateDisplay = {}): string {
  const absolute = new Intl.DateTimeFormat(display.locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: display.timeZone }).format(date);
  return `${absolute} (${relativeTime(date, now, display)})`;
}

/** Tooltip lines (Markdown), ARN first; dates in the user's locale with how long ago or ahead they are. */
export function clusterTooltip(summary: ClusterSummary, now: Date, display: DateDisplay = {}): string[] {
  const lines = [`**${summary.name}** — ${summary.kind === 'connected' ? 'cluster connected through the EKS Connector' : 'Amazon EKS cluster'}`];
  lines.push(`Status: ${summary.status}`);
  lines.push(`ARN: \`${summary.arn}\``);
  if (summary.createdAt) lines.push(`${summary.kind === 'connected' ? 'Registered' : 'Created'}: ${formatDate(summary.createdAt, now, display)}`);
  if (summary.version) lines.push(`Kubernetes: ${summary.version}${summary.platformVersion ? ` (${summary.platformVersion})` : ''}`);
  if (summary.provider) lines.push(`Provider: ${summary.provider}`);
  if (summary.roleArn) lines.push(`${summary.kind === 'connected' ? 'Connector agent role' : 'Cluster role'}: \`${summary.roleArn}\``);
  // Once the agent has connected (ACTIVE) the activation no longer matters, so it is not shown.
  if (summary.activationExpiry && summary.kind === 'connected' && summary.status !== 'ACTIVE') {
    const expired = isActivationExpired(summary, now);
    lines.push(`Activation ${expired ? 'expired' : 'expires'}: ${formatDate(summary.activationExpiry, now, display)}`);
    if (expired) lines.push('The activation can no longer be used: deregister the cluster and register it again.');
    else lines.push(`${isActivationUrgent(summary, now) ? '**Less than a day left.** ' : ''}Apply the connector manifest before then; an unused activation makes the registration fail.`);
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

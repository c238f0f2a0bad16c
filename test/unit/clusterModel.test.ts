import assert from 'node:assert/strict';
import type { Cluster } from '@aws-sdk/client-eks';
import {
  activationCountdown, clusterContextValue, clusterDescription, clusterNodeId, clusterTooltip, formatDate, isActivationExpired,
  isActivationUrgent, redactClusterForDisplay, relativeTime, statusIcon, summarizeCluster, ACTIVATION_WINDOW_MS,
} from '../../src/core/clusters/clusterModel';

const now = new Date('2026-11-21T12:00:00Z');
const hours = (h: number) => new Date(now.getTime() + h * 3_600_000);

const eksCluster: Cluster = {
  name: 'prod', arn: 'arn:aws:eks:us-west-2:111122223333:cluster/prod', status: 'ACTIVE', version: '1.31',
  platformVersion: 'eks.9', roleArn: 'arn:aws:iam::111122223333:role/eks', createdAt: new Date('2026-01-01T00:00:00Z'), tags: {},
};
const connected = (status: Cluster['status'], expiry: Date, extra: Partial<Cluster> = {}): Cluster => ({
  name: 'onprem', arn: 'arn:aws:eks:us-west-2:111122223333:cluster/onprem', status, createdAt: new Date(expiry.getTime() - ACTIVATION_WINDOW_MS),
  connectorConfig: { activationId: 'a1b2', activationExpiry: expiry, provider: 'RANCHER', roleArn: 'arn:aws:iam::111122223333:role/AmazonEKSConnectorAgentRole' },
  ...extra,
});

describe('cluster model', () => {
  it('classifies a cluster with a connectorConfig as connected and one without as EKS', () => {
    assert.equal(summarizeCluster(eksCluster, 'us-west-2').kind, 'eks');
    const s = summarizeCluster(connected('PENDING', hours(10)), 'us-west-2');
    assert.equal(s.kind, 'connected');
    assert.equal(s.provider, 'RANCHER');
    assert.equal(s.roleArn, 'arn:aws:iam::111122223333:role/AmazonEKSConnectorAgentRole');
  });

  it('describes an EKS cluster by its version and a connected one by its provider', () => {
    assert.equal(clusterDescription(summarizeCluster(eksCluster, 'us-west-2'), now), 'EKS 1.31');
    assert.equal(clusterDescription(summarizeCluster(connected('ACTIVE', hours(-5), { version: '1.30' }), 'r'), now), 'connected · RANCHER · 1.30');
    assert.equal(clusterDescription(summarizeCluster({ ...eksCluster, status: 'UPDATING' }, 'r'), now), 'updating · EKS 1.31');
  });

  it('leads the description with what needs attention: status, then the activation clock, then kind and version', () => {
    // A narrow side bar cuts the end of the description: the status and countdown must come first.
    const pending = clusterDescription(summarizeCluster(connected('PENDING', hours(51)), 'r'), now);
    assert.equal(pending, 'pending · 2 d 3 h left · connected · RANCHER');
    assert.equal(clusterDescription(summarizeCluster(connected('FAILED', hours(-30)), 'r'), now), 'failed · activation expired · connected · RANCHER');
    assert.equal(clusterDescription(summarizeCluster({ ...eksCluster, status: 'CREATING', version: '1.33' }, 'r'), now), 'creating · EKS 1.33');
  });

  it('counts down the 72-hour activation of a pending connected cluster', () => {
    assert.equal(clusterDescription(summarizeCluster(connected('PENDING', hours(71.5)), 'r'), now), 'pending · 2 d 23 h left · connected · RANCHER');
    assert.equal(activationCountdown(hours(25), now), 'activation expires in 1 d 1 h');
    assert.equal(activationCountdown(hours(20.75), now), 'activation expires in 20 h');
    assert.equal(activationCountdown(hours(0.5), now), 'activation expires in 30 min');
    assert.equal(activationCountdown(new Date(now.getTime() + 20_000), now), 'activation expires in under a minute');
  });

  it('makes an activation with less than a day left look urgent', () => {
    const urgent = summarizeCluster(connected('PENDING', hours(20.5)), 'r');
    assert.equal(isActivationUrgent(urgent, now), true);
    assert.equal(clusterDescription(urgent, now), 'pending · 20 h left · connected · RANCHER');
    assert.deepEqual(statusIcon(urgent, now), { codicon: 'warning', color: 'charts.yellow' });
    assert.match(clusterTooltip(urgent, now, { locale: 'en-US', timeZone: 'UTC' }).join('\n'), /Less than a day left/);
    const relaxed = summarizeCluster(connected('PENDING', hours(30)), 'r');
    assert.equal(isActivationUrgent(relaxed, now), false);
    assert.deepEqual(statusIcon(relaxed, now), { codicon: 'watch', color: 'charts.yellow' });
    assert.equal(isActivationUrgent(summarizeCluster(connected('ACTIVE', hours(2)), 'r'), now), false, 'a connected cluster has used its activation');
    assert.equal(statusIcon(summarizeCluster(connected('PENDING', hours(-1)), 'r'), now).codicon, 'error', 'expired before the service says FAILED');
  });

  it('says "activation expired" once the expiry has passed, even before the service flips to FAILED', () => {
    const pendingPastExpiry = summarizeCluster(connected('PENDING', hours(-1)), 'r');
    assert.equal(isActivationExpired(pendingPastExpiry, now), true);
    assert.match(clusterDescription(pendingPastExpiry, now), /^pending · activation expired · /);
    const failed = summarizeCluster(connected('FAILED', hours(-30)), 'r');
    assert.equal(clusterDescription(failed, now), 'failed · activation expired · connected · RANCHER');
    assert.ok(clusterTooltip(failed, now).some((l) => /deregister the cluster and register it again/.test(l)));
  });

  it('does not show a countdown for an active connected cluster whose activation time has passed', () => {
    const active = summarizeCluster(connected('ACTIVE', hours(-100)), 'r');
    assert.equal(isActivationExpired(active, now), false);
    assert.doesNotMatch(clusterDescription(active, now), /activation/);
  });

  it('gives status icons per status, in colours that High Contrast themes keep, and a context value menus can match', () => {
    assert.deepEqual(statusIcon({ status: 'ACTIVE', kind: 'eks' }), { codicon: 'vm-running', color: 'testing.iconPassed' });
    // list.errorForeground and list.warningForeground are the plain foreground in High Contrast themes.
    assert.deepEqual(statusIcon({ status: 'FAILED', kind: 'eks' }), { codicon: 'error', color: 'charts.red' });
    assert.equal(statusIcon({ status: 'PENDING', kind: 'connected' }).color, 'charts.yellow');
    assert.equal(statusIcon({ status: 'ACTIVE', kind: 'connected' }).codicon, 'plug');
    assert.equal(statusIcon({ status: 'FAILED', kind: 'connected' }).codicon, 'error');
    assert.equal(statusIcon({ status: 'UPDATING', kind: 'eks' }).codicon, 'sync~spin');
    assert.equal(statusIcon({ status: 'PENDING', kind: 'connected' }).codicon, 'watch');
    assert.equal(clusterContextValue({ kind: 'connected', status: 'PENDING' }), 'eksConnector.cluster.connected.pending');
    assert.match(clusterContextValue({ kind: 'eks', status: 'ACTIVE' }), /^eksConnector\.cluster\.eks\./);
    assert.equal(clusterNodeId('111122223333', 'us-west-2', 'prod'), '111122223333:us-west-2:prod');
  });

  it('puts ARN, creation time and role in the tooltip', () => {
    const lines = clusterTooltip(summarizeCluster(eksCluster, 'us-west-2'), now, { locale: 'en-US', timeZone: 'UTC' }).join('\n');
    assert.match(lines, /arn:aws:eks:us-west-2:111122223333:cluster\/prod/);
    assert.match(lines, /Created: Jan 1, 2026, 12:00\sAM \(10 months ago\)/);
    assert.match(lines, /Cluster role: `arn:aws:iam::111122223333:role\/eks`/);
  });

  it('shows tooltip dates in the user\'s locale and relative to now, never as raw ISO', () => {
    const pending = summarizeCluster(connected('PENDING', hours(51), { createdAt: hours(-20) }), 'r');
    const english = clusterTooltip(pending, now, { locale: 'en-GB', timeZone: 'UTC' }).join('\n');
    assert.match(english, /Registered: 20 Nov 2026, 16:00 \(20 hours ago\)/);
    assert.match(english, /Activation expires: 23 Nov 2026, 15:00 \(in 2 days\)/);
    assert.doesNotMatch(english, /\d{4}-\d\d-\d\dT/);
    const german = clusterTooltip(pending, now, { locale: 'de-DE', timeZone: 'Europe/Berlin' }).join('\n');
    assert.match(german, /Registered: 20\.11\.2026, 17:00 \(vor 20 Stunden\)/);
    assert.match(german, /Activation expires: 23\.11\.2026, 16:00 \(übermorgen\)/);
  });

  it('says how long ago or ahead a date is in the largest whole unit', () => {
    const en = { locale: 'en-US' };
    assert.equal(relativeTime(hours(-20), now, en), '20 hours ago');
    assert.equal(relativeTime(hours(-24), now, en), 'yesterday');
    assert.equal(relativeTime(hours(0.5), now, en), 'in 30 minutes');
    assert.equal(relativeTime(now, now, en), 'now');
    assert.equal(relativeTime(hours(-24 * 400), now, en), 'last year');
    // ICU versions differ in the space before AM (a narrow no-break space in newer ones).
    assert.match(formatDate(hours(-3), now, { locale: 'en-US', timeZone: 'America/New_York' }), /^Nov 21, 2026, 4:00\sAM \(3 hours ago\)$/);
  });

  it('never shows an activation code in a description document', () => {
    const withCode = connected('PENDING', hours(3));
    withCode.connectorConfig!.activationCode = 'SECRET-activation-code-1234';
    const shown = JSON.stringify(redactClusterForDisplay(withCode));
    assert.doesNotMatch(shown, /SECRET-activation-code/);
    assert.equal(withCode.connectorConfig!.activationCode, 'SECRET-activation-code-1234', 'the input is not mutated');
  });
});

import assert from 'node:assert/strict';
import type { Cluster } from '@aws-sdk/client-eks';
import {
  activationCountdown, clusterContextValue, clusterDescription, clusterNodeId, clusterTooltip, isActivationExpired,
  redactClusterForDisplay, statusIcon, summarizeCluster, ACTIVATION_WINDOW_MS,
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
    assert.equal(clusterDescription(summarizeCluster({ ...eksCluster, status: 'UPDATING' }, 'r'), now), 'EKS 1.31 · updating');
  });

  it('counts down the 72-hour activation of a pending connected cluster', () => {
    assert.equal(clusterDescription(summarizeCluster(connected('PENDING', hours(71.5)), 'r'), now), 'connected · RANCHER · pending · expires in 2 d 23 h');
    assert.equal(activationCountdown(hours(5.25), now), 'activation expires in 5 h 15 min');
    assert.equal(activationCountdown(hours(0.5), now), 'activation expires in 30 min');
    assert.equal(activationCountdown(new Date(now.getTime() + 20_000), now), 'activation expires in under a minute');
  });

  it('says "activation expired" once the expiry has passed, even before the service flips to FAILED', () => {
    const pendingPastExpiry = summarizeCluster(connected('PENDING', hours(-1)), 'r');
    assert.equal(isActivationExpired(pendingPastExpiry, now), true);
    assert.match(clusterDescription(pendingPastExpiry, now), /activation expired$/);
    const failed = summarizeCluster(connected('FAILED', hours(-30)), 'r');
    assert.equal(clusterDescription(failed, now), 'connected · RANCHER · failed · activation expired');
    assert.ok(clusterTooltip(failed, now).some((l) => /deregister the cluster and register it again/.test(l)));
  });

  it('does not show a countdown for an active connected cluster whose activation time has passed', () => {
    const active = summarizeCluster(connected('ACTIVE', hours(-100)), 'r');
    assert.equal(isActivationExpired(active, now), false);
    assert.doesNotMatch(clusterDescription(active, now), /activation/);
  });

  it('gives status icons per status and a context value menus can match', () => {
    assert.deepEqual(statusIcon({ status: 'ACTIVE', kind: 'eks' }), { codicon: 'vm-running', color: 'testing.iconPassed' });
    assert.equal(statusIcon({ status: 'ACTIVE', kind: 'connected' }).codicon, 'plug');
    assert.equal(statusIcon({ status: 'FAILED', kind: 'connected' }).codicon, 'error');
    assert.equal(statusIcon({ status: 'UPDATING', kind: 'eks' }).codicon, 'sync~spin');
    assert.equal(statusIcon({ status: 'PENDING', kind: 'connected' }).codicon, 'watch');
    assert.equal(clusterContextValue({ kind: 'connected', status: 'PENDING' }), 'eksConnector.cluster.connected.pending');
    assert.match(clusterContextValue({ kind: 'eks', status: 'ACTIVE' }), /^eksConnector\.cluster\.eks\./);
    assert.equal(clusterNodeId('111122223333', 'us-west-2', 'prod'), '111122223333:us-west-2:prod');
  });

  it('puts ARN, creation time and role in the tooltip', () => {
    const lines = clusterTooltip(summarizeCluster(eksCluster, 'us-west-2'), now).join('\n');
    assert.match(lines, /arn:aws:eks:us-west-2:111122223333:cluster\/prod/);
    assert.match(lines, /Created: 2026-01-01T00:00:00.000Z/);
    assert.match(lines, /Cluster role: `arn:aws:iam::111122223333:role\/eks`/);
  });

  it('never shows an activation code in a description document', () => {
    const withCode = connected('PENDING', hours(3));
    withCode.connectorConfig!.activationCode = 'SECRET-activation-code-1234';
    const shown = JSON.stringify(redactClusterForDisplay(withCode));
    assert.doesNotMatch(shown, /SECRET-activation-code/);
    assert.equal(withCode.connectorConfig!.activationCode, 'SECRET-activation-code-1234', 'the input is not mutated');
  });
});

// The register pre-flight and connect as the user meets them (issue 11, points 6 and 10), on the real API server and
// the AWS emulator: a cluster already running another registration's connector, a name typed with spaces, a
// DescribeCluster that is denied, the confirmed checklist feeding the connect, and a shared caller identity.
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { startEmulator, type RunningEmulator } from '../../emulator/src/server';
import { EmulatorControl } from '../../emulator/src/control-client';
import { AwsSession } from '../../src/core/aws/session';
import { KubeCluster } from '../../src/core/kube/kubeCluster';
import { ConnectorService, type ConnectPlan } from '../../src/core/connector/connectorService';
import { SecretRedactor } from '../../src/core/util/redact';
import { sharedCluster, connectorNamespaceGone } from './shared';

const ACCOUNT = '123456789012';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/AmazonEKSConnectorAgentRole`;
const PLATFORM_KEY = 'AKIAREGCHECKPLATFORM';
const NO_DESCRIBE_KEY = 'AKIAREGCHECKNODESCRB';

describe('register pre-flight and connect (core, real API server, emulator)', function () {
  this.timeout(180_000);
  let emulator: RunningEmulator;
  let control: EmulatorControl;
  let admin: k8s.KubeConfig;
  const savedEnv = { ...process.env };
  const sessions: AwsSession[] = [];
  const plan = (overrides: Partial<ConnectPlan> = {}): ConnectPlan => ({
    region: 'us-west-2', name: 'checks-a', provider: 'OTHER', role: { kind: 'existing', arn: ROLE }, grants: [], nodeSelector: false, ...overrides,
  });
  const session = (key = PLATFORM_KEY) => {
    process.env.AWS_ACCESS_KEY_ID = key;
    const s = new AwsSession();
    sessions.push(s);
    return s;
  };
  const service = (s = session()) => new ConnectorService({ session: s, kube: new KubeCluster(admin), redactor: new SecretRedactor() });

  before(async () => {
    const kube = await sharedCluster();
    admin = kube.kubeConfig('sandbox-admin');
    await connectorNamespaceGone(admin);
    emulator = await startEmulator({
      seed: {
        accountId: ACCOUNT,
        timings: { deregisterSeconds: 1 },
        identities: [
          { accessKeyId: PLATFORM_KEY, arn: `arn:aws:iam::${ACCOUNT}:user/platform` },
          { accessKeyId: NO_DESCRIBE_KEY, arn: `arn:aws:iam::${ACCOUNT}:user/no-describe`, deny: [{ action: 'eks:DescribeCluster' }] },
        ],
        iam: { roles: [{ name: 'AmazonEKSConnectorAgentRole', trustService: 'ssm.amazonaws.com' }] },
      },
    });
    control = new EmulatorControl(emulator.url);
    Object.assign(process.env, { AWS_ENDPOINT_URL: emulator.url, AWS_SECRET_ACCESS_KEY: 'x', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' });
  });

  afterEach(async () => {
    await control.resetFaults();
    for (const name of ['checks-a', 'checks-b', 'edge-trim', 'checks-c']) await service().deregister({ region: 'us-west-2', name }).catch(() => undefined);
    await connectorNamespaceGone(admin);
  });

  after(async () => {
    for (const s of sessions) s.dispose();
    await emulator?.close();
    process.env = savedEnv;
  });

  it('refuses to register a cluster that runs another registration\'s connector, naming that registration and the fixes', async () => {
    await service().connect(plan({ name: 'checks-a' }), { wait: false });
    const report = await service().check(plan({ name: 'checks-b', searchRegions: ['us-east-1'] }));
    const row = report.checks.find((c) => c.id === 'namespace');
    assert.equal(report.ok, false, report.checks.map((c) => `${c.status} ${c.id}: ${c.reason}`).join('\n'));
    assert.equal(row?.status, 'fail');
    assert.match(row?.reason ?? '', /runs the connector of the registration checks-a in us-west-2/);
    assert.match(row?.fix ?? '', /Deregister checks-a in us-west-2 first/);
    assert.match(row?.fix ?? '', /repair that one/);
    // And connect refuses it too, before RegisterCluster: checks-b never exists.
    await assert.rejects(service().connect(plan({ name: 'checks-b' }), { wait: false }), /checks-a in us-west-2/);
    assert.equal(await service().aws.describe('us-west-2', 'checks-b'), undefined);
  });

  it('registers a name typed with spaces around it under the trimmed name', async () => {
    const result = await service().connect(plan({ name: ' edge-trim ' }), { wait: false });
    assert.equal(result.cluster.name, 'edge-trim');
    assert.ok(await service().aws.describe('us-west-2', 'edge-trim'), 'the registration exists under the trimmed name');
  });

  it('a denied DescribeCluster is a failed row that says what is missing, and the cluster checks are not run', async () => {
    const report = await service(session(NO_DESCRIBE_KEY)).check(plan({ name: 'checks-c' }));
    assert.equal(report.ok, false);
    const row = report.checks.find((c) => c.id === 'nameFree');
    assert.equal(row?.status, 'fail');
    assert.match(`${row?.reason} ${row?.fix}`, /eks:DescribeCluster/);
    assert.ok(!report.checks.some((c) => c.id === 'adminRights'), 'the cluster checks were stopped');
    assert.match(report.checks.find((c) => c.id === 'cluster')?.reason ?? '', /Not checked/);
  });

  it('connect after a confirmed checklist checks again only the name: no quota count, no role read', async () => {
    const s = session();
    const confirmed = await service(s).check(plan({ name: 'checks-c' }));
    assert.equal(confirmed.ok, true, confirmed.checks.map((c) => `${c.status} ${c.id}: ${c.reason}`).join('\n'));
    await control.resetFaults();
    await service(s).connect(plan({ name: 'checks-c' }), { wait: false, confirmed });
    const { requests } = (await control.getFaults()).counters;
    assert.equal(requests['eks:ListClusters'] ?? 0, 0, `requests: ${JSON.stringify(requests)}`);
    assert.equal(requests['iam:GetRole'] ?? 0, 0, `requests: ${JSON.stringify(requests)}`);
    assert.equal(requests['eks:RegisterCluster'], 1);
  });

  it('a caller who stops waiting for the AWS identity does not cancel another caller\'s wait', async () => {
    const s = session();
    await control.setFaults({ latency: [{ service: 'sts', ms: 1500 }] });
    const first = new AbortController();
    const abandoned = s.callerIdentity('us-west-2', first.signal);
    const other = s.callerIdentity('us-west-2', new AbortController().signal);
    first.abort();
    await assert.rejects(abandoned, (e: Error) => e.name === 'AbortError');
    assert.equal((await other).arn, `arn:aws:iam::${ACCOUNT}:user/platform`);
  });
});

// The cluster loader against the AWS emulator, through the real SDK clients.
import assert from 'node:assert/strict';
import { startEmulator, type RunningEmulator } from '../../emulator/src/server';
import { EmulatorControl } from '../../emulator/src/control-client';
import type { Seed } from '../../emulator/src/seed';
import { AwsSession } from '../../src/core/aws/session';
import { ClusterLoader, loadSequentially, type DescribeResult } from '../../src/core/clusters/clusterLoader';
import { describeAwsError } from '../../src/core/aws/errors';

const ROLE = 'arn:aws:iam::123456789012:role/AmazonEKSConnectorAgentRole';

const seed: Seed = {
  accountId: '123456789012',
  identities: [
    { accessKeyId: 'AKIAPLATFORM000000001', arn: 'arn:aws:iam::123456789012:user/platform', deny: [{ action: 'eks:ListClusters', regions: ['eu-west-1'] }] },
  ],
  regions: {
    'us-west-2': {
      connectedClusterQuota: 200,
      clusters: [
        { name: 'prod', version: '1.31', status: 'ACTIVE' },
        { name: 'staging', version: '1.30', status: 'UPDATING' },
        { name: 'rancher-edge', connector: { provider: 'RANCHER', roleArn: ROLE, status: 'PENDING' } },
        { name: 'onprem-dc1', connector: { provider: 'OTHER', roleArn: ROLE, status: 'ACTIVE', version: '1.29' } },
      ],
    },
    'eu-west-1': { clusters: [{ name: 'hidden', version: '1.31' }] },
    'ap-south-1': {
      connectedClusterQuota: 200,
      clusters: Array.from({ length: 130 }, (_, i) => ({ name: `c-${String(i).padStart(3, '0')}`, connector: { provider: 'OTHER' as const, roleArn: ROLE, status: 'ACTIVE' as const } })),
    },
  },
};

describe('cluster loader (against the emulator)', function () {
  this.timeout(60_000);
  let emulator: RunningEmulator;
  let control: EmulatorControl;
  let session: AwsSession;
  const savedEnv = { ...process.env };

  before(async () => {
    emulator = await startEmulator({ seed });
    control = new EmulatorControl(emulator.url);
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: emulator.url, AWS_ACCESS_KEY_ID: 'AKIAPLATFORM000000001', AWS_SECRET_ACCESS_KEY: 'irrelevant',
      AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/nonexistent/config', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
    });
    delete process.env.AWS_PROFILE;
    session = new AwsSession();
  });
  after(async () => {
    session?.dispose();
    await emulator?.close();
    process.env = savedEnv;
  });
  afterEach(() => control.resetFaults());

  it('lists EKS and connected clusters and classifies them with DescribeCluster', async () => {
    const loader = new ClusterLoader(session);
    const page = await loader.listPage('us-west-2', undefined);
    assert.deepEqual([...page.names].sort(), ['onprem-dc1', 'prod', 'rancher-edge', 'staging']);
    const results: DescribeResult[] = [];
    await loader.describeMany('us-west-2', page.names, undefined, (r) => results.push(r));
    const byName = new Map(results.map((r) => [r.name, r]));
    const summary = (name: string) => { const r = byName.get(name); assert.ok(r?.ok, name); return r.summary; };
    assert.equal(summary('prod').kind, 'eks');
    assert.equal(summary('prod').version, '1.31');
    assert.equal(summary('staging').status, 'UPDATING');
    assert.equal(summary('rancher-edge').kind, 'connected');
    assert.equal(summary('rancher-edge').status, 'PENDING');
    assert.equal(summary('rancher-edge').provider, 'RANCHER');
    assert.ok(summary('rancher-edge').activationExpiry instanceof Date);
    assert.equal(summary('onprem-dc1').status, 'ACTIVE');
  });

  it('pages past 100 clusters with nextToken', async () => {
    const loader = new ClusterLoader(session);
    const first = await loader.listPage('ap-south-1', undefined);
    assert.equal(first.names.length, 100);
    assert.ok(first.nextToken);
    const second = await loader.listPage('ap-south-1', first.nextToken);
    assert.equal(second.names.length, 30);
    assert.equal(second.nextToken, undefined);
    assert.equal(new Set([...first.names, ...second.names]).size, 130);
  });

  it('reports a denied region without stopping the others', async () => {
    const loader = new ClusterLoader(session);
    const errors = new Map<string, unknown>();
    const loaded = new Map<string, number>();
    await loader.loadRegions(['us-west-2', 'eu-west-1', 'ap-south-1'], {
      onCluster: (region, r) => { if (r.ok) loaded.set(region, (loaded.get(region) ?? 0) + 1); },
      onRegionError: (region, error) => errors.set(region, error),
    });
    assert.deepEqual([...errors.keys()], ['eu-west-1']);
    const described = describeAwsError(errors.get('eu-west-1'), { activity: 'Listing clusters in eu-west-1', region: 'eu-west-1' });
    assert.equal(described.kind, 'accessDenied');
    assert.match(described.reason, /eks:ListClusters in eu-west-1/);
    assert.equal(loaded.get('us-west-2'), 4);
    assert.equal(loaded.get('ap-south-1'), 130);
  });

  it('drains a throttled region: every status arrives, no throttling error reaches the user', async () => {
    await control.setFaults({ throttle: [{ service: 'eks', operation: 'DescribeCluster', region: 'ap-south-1', ratePerSecond: 40, burst: 5 }] });
    let seenThrottled = 0;
    const loader = new ClusterLoader(session, { onThrottled: () => seenThrottled++ });
    const results: DescribeResult[] = [];
    const page = await loader.listPage('ap-south-1', undefined);
    await loader.describeMany('ap-south-1', page.names, undefined, (r) => results.push(r));
    const failures = results.filter((r) => !r.ok);
    assert.deepEqual(failures.map((r) => `${r.name}: ${String(r.ok ? '' : r.error)}`), []);
    assert.deepEqual(results.map((r) => (r.ok ? r.summary.status : undefined)), page.names.map(() => 'ACTIVE'));
    // The emulator throttled some calls, and each of those was asked again: one request per cluster plus one per throttle.
    const { counters } = await control.getFaults();
    const throttled = counters.throttled['eks:DescribeCluster'] ?? 0;
    assert.ok(throttled > 0, 'the emulator throttled');
    assert.equal(counters.requests['eks:DescribeCluster'], page.names.length + throttled);
    assert.equal(seenThrottled, throttled, 'every throttled answer was seen and retried, none shown');
  });

  it('retries injected server errors and dropped connections', async () => {
    await control.setFaults({ errors: [{ service: 'eks', operation: 'ListClusters', status: 503, count: 2 }], drop: [{ service: 'eks', operation: 'DescribeCluster', count: 1 }] });
    const loader = new ClusterLoader(session);
    const page = await loader.listPage('us-west-2', undefined);
    assert.equal(page.names.length, 4);
    const result = await loader.describe('us-west-2', 'prod');
    assert.ok(result.ok, result.ok ? '' : String(result.error));
  });

  it('stops when cancelled, without reporting results', async () => {
    // Answers held for 30 s: a load that ignored the cancel would report them then.
    await control.setFaults({ latency: [{ ms: 30_000 }] });
    const loader = new ClusterLoader(session);
    const abort = new AbortController();
    const results: DescribeResult[] = [];
    const loading = loader.describeMany('ap-south-1', ['c-000', 'c-001', 'c-002'], abort.signal, (r) => results.push(r));
    // Cancel once the emulator holds all three calls.
    for (;;) {
      const { counters } = await control.getFaults();
      if ((counters.delayed['eks:DescribeCluster'] ?? 0) >= 3) break;
    }
    abort.abort();
    await loading;
    assert.equal(results.length, 0);
  });

  it('the sequential baseline loader (used by the benchmark) visits every cluster', async () => {
    const count = await loadSequentially(new ClusterLoader(session), ['us-west-2', 'ap-south-1']);
    assert.equal(count, 134);
  });
});

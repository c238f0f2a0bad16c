// The AWS side of registration against the emulator, through the real SDK clients.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { startEmulator, type RunningEmulator } from '../../emulator/src/server';
import { EmulatorControl } from '../../emulator/src/control-client';
import { emulatorClientConfig } from '../../emulator/src/client-config';
import { AwsSession } from '../../src/core/aws/session';
import { RegistrationApi, isPropagationError } from '../../src/core/connector/registrationApi';
import { agentTrustPolicy } from '../../src/core/connector/agentRole';

const ACCOUNT = '123456789012';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/AmazonEKSConnectorAgentRole`;

describe('registration API (against the emulator)', function () {
  this.timeout(60_000);
  let emulator: RunningEmulator;
  let control: EmulatorControl;
  let session: AwsSession;
  let api: RegistrationApi;
  const savedEnv = { ...process.env };

  before(async () => {
    emulator = await startEmulator({
      seed: {
        accountId: ACCOUNT,
        timings: { deregisterSeconds: 1 },
        iam: { roles: [{ name: 'AmazonEKSConnectorAgentRole', trustService: 'ssm.amazonaws.com' }] },
        regions: { 'eu-west-1': { connectedClusterQuota: 3, clusters: [
          { name: 'eks-one', version: '1.31' },
          { name: 'c1', connector: { provider: 'OTHER', roleArn: ROLE } },
          { name: 'c2', connector: { provider: 'OTHER', roleArn: ROLE, status: 'ACTIVE' } },
        ] },
        // More EKS clusters than a ListClusters page holds: a count that read only first pages would find none connected.
        'ap-southeast-2': { clusters: [
          ...Array.from({ length: 105 }, (_, i) => ({ name: `eks-${String(i).padStart(3, '0')}` })),
          ...['edge-a', 'edge-b', 'edge-c'].map((name) => ({ name, connector: { provider: 'OTHER' as const, roleArn: ROLE } })),
        ] } },
      },
    });
    control = new EmulatorControl(emulator.url);
    Object.assign(process.env, { AWS_ENDPOINT_URL: emulator.url, AWS_ACCESS_KEY_ID: 'AKIAREGISTER00000001', AWS_SECRET_ACCESS_KEY: 'x', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' });
    session = new AwsSession();
    api = new RegistrationApi(session);
  });
  after(async () => {
    session?.dispose();
    await emulator?.close();
    process.env = savedEnv;
  });

  it('registers, reads back, becomes ACTIVE when the agent registers, and deregisters', async () => {
    const token = randomUUID();
    const cluster = await api.register({ region: 'us-west-2', name: 'edge-1', provider: 'RANCHER', roleArn: ROLE, clientRequestToken: token });
    assert.equal(cluster.status, 'PENDING');
    const code = cluster.connectorConfig?.activationCode;
    assert.ok(code && code.length >= 20);
    const again = await api.register({ region: 'us-west-2', name: 'edge-1', provider: 'RANCHER', roleArn: ROLE, clientRequestToken: token });
    assert.equal(again.connectorConfig?.activationId, cluster.connectorConfig?.activationId, 'the same token returns the same registration');
    assert.equal((await api.describe('us-west-2', 'edge-1'))?.connectorConfig?.activationCode, undefined, 'DescribeCluster never returns the code');

    // The agent connects once the wait has seen the registration PENDING, as a real one does after the install.
    const polls: string[] = [];
    let agentConnected: Promise<unknown> | undefined;
    const active = await api.waitForStatus('us-west-2', 'edge-1', {
      until: ['ACTIVE'], failOn: ['FAILED'], intervalMs: 100,
      onPoll: (c) => {
        polls.push(c.status ?? '');
        agentConnected ??= control.registerAgent({ activationId: cluster.connectorConfig!.activationId!, activationCode: code });
      },
    });
    await agentConnected;
    assert.equal(active?.status, 'ACTIVE');
    assert.ok(polls.includes('PENDING'));
    const instances = await api.managedInstances('us-west-2', cluster.connectorConfig!.activationId!);
    assert.equal(instances.length, 1);
    assert.match(instances[0].InstanceId ?? '', /^eks_c:edge-1_/);

    assert.equal(await api.deregister('us-west-2', 'edge-1'), 'deregistering');
    assert.equal(await api.waitForStatus('us-west-2', 'edge-1', { until: [], intervalMs: 200 }), undefined);
    assert.equal(await api.deregister('us-west-2', 'edge-1'), 'absent');
  });

  it('describe answers undefined for a name that is free', async () => {
    assert.equal(await api.describe('us-west-2', 'nobody-here'), undefined);
  });

  it('counts connected clusters against the regional quota', async () => {
    assert.equal(await api.countConnected('eu-west-1'), 2);
  });

  it('counts connected clusters across pages from two listings, without describing any cluster', async () => {
    await control.resetFaults();
    assert.equal(await api.countConnected('ap-southeast-2'), 3);
    const { counters } = await control.getFaults();
    assert.equal(counters.requests['eks:DescribeCluster'], undefined, 'no cluster was described');
    assert.equal(counters.requests['eks:ListClusters'], 4, 'two pages with include=all, two without');
  });

  it('keeps retrying while a new role propagates, then registers', async () => {
    const retries: string[] = [];
    const iam = new IAMClient(emulatorClientConfig(emulator.url, { region: 'us-east-1', credentials: { accessKeyId: 'AKIAREGISTER00000001', secretAccessKey: 'x' } }));
    // The role "appears" after the first refused attempt, as IAM propagation does.
    let roleCreated: Promise<unknown> | undefined;
    const cluster = await api.register(
      { region: 'us-west-2', name: 'edge-2', provider: 'OTHER', roleArn: `arn:aws:iam::${ACCOUNT}:role/JustCreated`, clientRequestToken: randomUUID() },
      {
        propagationWaitMs: 20_000,
        onRetry: (reason) => {
          retries.push(reason);
          roleCreated ??= iam.send(new CreateRoleCommand({ RoleName: 'JustCreated', AssumeRolePolicyDocument: JSON.stringify(agentTrustPolicy()) }));
        },
      },
    );
    await roleCreated;
    assert.equal(cluster.status, 'PENDING');
    assert.ok(retries.length >= 1, 'at least one retry');
    assert.match(retries[0], /role/i);
    iam.destroy();
  });

  it('gives up on a role that never appears, with the service error', async () => {
    const error = await api.register(
      { region: 'us-west-2', name: 'edge-3', provider: 'OTHER', roleArn: `arn:aws:iam::${ACCOUNT}:role/NeverThere`, clientRequestToken: randomUUID() },
      { propagationWaitMs: 1000 },
    ).then(() => undefined, (e: unknown) => e);
    assert.ok(isPropagationError(error), String(error));
  });
});

// DescribeCluster / ListClusters / DeregisterCluster through the real EKS SDK client, including the clock-driven
// lifecycle: activation expiry (PENDING → FAILED), deregistration (DELETING → gone) and agent registration.
import assert from 'node:assert/strict';
import {
  DeregisterClusterCommand, DescribeClusterCommand, EKSClient, InvalidParameterException, InvalidRequestException, ListClustersCommand,
  RegisterClusterCommand, ResourceInUseException, ResourceNotFoundException, paginateListClusters,
} from '@aws-sdk/client-eks';
import { DescribeActivationsCommand, DescribeInstanceInformationCommand, SSMClient } from '@aws-sdk/client-ssm';
import { emulatorClientConfig } from '../../emulator/src/client-config';
import { EmulatorControl } from '../../emulator/src/control-client';
import type { Seed } from '../../emulator/src/seed';
import { startEmulator, type RunningEmulator } from '../../emulator/src/server';
import { rejection } from '../support/rejection';

const ACCOUNT = '000000000000';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/AmazonEKSConnectorAgentRole`;
const HOUR = 3600 * 1000;

function seed(): Seed {
  const now = Date.now();
  return {
    timings: { deregisterSeconds: 5 },
    regions: {
      'us-west-2': {
        clusters: [
          {
            name: 'prod', version: '1.31', status: 'ACTIVE', platformVersion: 'eks.9', tags: { env: 'prod' }, createdAt: '2026-01-01T00:00:00Z',
            roleArn: `arn:aws:iam::${ACCOUNT}:role/eks-service`, endpointPublicAccess: true, endpointPrivateAccess: true, publicAccessCidrs: ['10.0.0.0/8'],
            loggingTypes: ['api', 'audit'], healthIssues: [{ code: 'Ec2SubnetNotFound', message: 'subnet gone', resourceIds: ['subnet-1'] }],
          },
          { name: 'being-born', status: 'CREATING' },
          { name: 'edge-active', connector: { provider: 'GKE', roleArn: ROLE, status: 'ACTIVE', version: '1.30' }, tags: { site: 'dc1' } },
          { name: 'edge-pending', connector: { provider: 'AKS', roleArn: ROLE, registeredAt: new Date(now - 71 * HOUR).toISOString() } },
          { name: 'edge-stale', connector: { provider: 'OTHER', roleArn: ROLE, registeredAt: '2025-01-01T00:00:00Z' } },
          { name: 'edge-failed', connector: { provider: 'OTHER', roleArn: ROLE, status: 'FAILED', version: '1.29' } },
        ],
      },
    },
  };
}

describe('emulator: EKS clusters, listing and deregistration', function () {
  let emulator: RunningEmulator;
  let control: EmulatorControl;
  let eks: EKSClient;
  let ssm: SSMClient;

  const describe_ = async (name: string) => (await eks.send(new DescribeClusterCommand({ name }))).cluster!;


  before(async () => {
    emulator = await startEmulator({ seed: seed() });
    control = new EmulatorControl(emulator.url);
    eks = new EKSClient(emulatorClientConfig(emulator.url, { maxAttempts: 1 }));
    ssm = new SSMClient(emulatorClientConfig(emulator.url, { maxAttempts: 1 }));
  });
  after(() => emulator.close());
  beforeEach(() => control.loadSeed(seed()));

  it('describes a connected cluster without endpoint, certificate, VPC config or activation code', async () => {
    const cluster = await describe_('edge-active');
    assert.equal(cluster.status, 'ACTIVE');
    assert.equal(cluster.version, '1.30');
    assert.equal(cluster.connectorConfig?.provider, 'GKE');
    assert.equal(cluster.connectorConfig?.roleArn, ROLE);
    assert.ok(cluster.connectorConfig?.activationId);
    assert.ok(cluster.connectorConfig?.activationExpiry instanceof Date);
    assert.equal(cluster.connectorConfig?.activationCode, undefined);
    for (const absent of ['endpoint', 'certificateAuthority', 'resourcesVpcConfig', 'roleArn', 'platformVersion', 'identity', 'logging'] as const) {
      assert.equal(cluster[absent], undefined, `${absent} must be absent`);
    }
    assert.deepEqual(cluster.tags, { site: 'dc1' });
  });

  it('shows a connected cluster version only while ACTIVE', async () => {
    assert.equal((await describe_('edge-failed')).version, undefined);
    assert.equal((await describe_('edge-pending')).version, undefined);
  });

  it('describes an EKS cluster with its full shape', async () => {
    const cluster = await describe_('prod');
    assert.equal(cluster.connectorConfig, undefined);
    assert.equal(cluster.version, '1.31');
    assert.equal(cluster.platformVersion, 'eks.9');
    assert.equal(cluster.createdAt?.toISOString(), '2026-01-01T00:00:00.000Z');
    assert.match(cluster.endpoint ?? '', /^https:\/\/[0-9A-F]{32}\.gr7\.us-west-2\.eks\.amazonaws\.com$/);
    assert.match(Buffer.from(cluster.certificateAuthority?.data ?? '', 'base64').toString(), /^-----BEGIN CERTIFICATE-----/);
    assert.equal(cluster.roleArn, `arn:aws:iam::${ACCOUNT}:role/eks-service`);
    assert.equal(cluster.resourcesVpcConfig?.endpointPrivateAccess, true);
    assert.deepEqual(cluster.resourcesVpcConfig?.publicAccessCidrs, ['10.0.0.0/8']);
    assert.match(cluster.resourcesVpcConfig?.vpcId ?? '', /^vpc-[0-9a-f]{17}$/);
    assert.equal(cluster.resourcesVpcConfig?.subnetIds?.length, 3);
    assert.equal(cluster.kubernetesNetworkConfig?.ipFamily, 'ipv4');
    assert.deepEqual(cluster.logging?.clusterLogging?.find((group) => group.enabled)?.types, ['api', 'audit']);
    assert.match(cluster.identity?.oidc?.issuer ?? '', /^https:\/\/oidc\.eks\.us-west-2\.amazonaws\.com\/id\/[0-9A-F]{32}$/);
    assert.equal(cluster.accessConfig?.authenticationMode, 'API_AND_CONFIG_MAP');
    assert.deepEqual(cluster.health?.issues, [{ code: 'Ec2SubnetNotFound', message: 'subnet gone', resourceIds: ['subnet-1'] }]);
    assert.deepEqual(cluster.tags, { env: 'prod' });
  });

  it('gives an EKS cluster no endpoint or certificate until it is ACTIVE', async () => {
    const cluster = await describe_('being-born');
    assert.equal(cluster.status, 'CREATING');
    assert.equal(cluster.endpoint, undefined);
    assert.equal(cluster.certificateAuthority, undefined);
    assert.ok(cluster.resourcesVpcConfig);
  });

  it('answers an unknown cluster with 404 ResourceNotFoundException', async () => {
    const error = await rejection(eks.send(new DescribeClusterCommand({ name: 'ghost' })));
    assert.ok(error instanceof ResourceNotFoundException, error.name);
    assert.equal(error.$metadata.httpStatusCode, 404);
    assert.equal(error.message, 'No cluster found for name: ghost.');
  });

  it('turns a PENDING cluster FAILED once the emulator clock passes activationExpiry', async () => {
    assert.equal((await describe_('edge-stale')).status, 'FAILED');
    const pending = await describe_('edge-pending');
    assert.equal(pending.status, 'PENDING');
    await control.advanceClock(30 * 60);
    assert.equal((await describe_('edge-pending')).status, 'PENDING', 'still within the 72 h window');
    await control.advanceClock(31 * 60);
    assert.equal((await describe_('edge-pending')).status, 'FAILED');
    assert.equal((await describe_('edge-active')).status, 'ACTIVE', 'a connected cluster never expires');
    const { ActivationList } = await ssm.send(new DescribeActivationsCommand({ Filters: [{ FilterKey: 'ActivationIds', FilterValues: [pending.connectorConfig!.activationId!] }] }));
    assert.equal(ActivationList?.[0].Expired, true);
  });

  it('becomes ACTIVE when the connector agent registers with the activation', async () => {
    const { cluster } = await eks.send(new RegisterClusterCommand({ name: 'edge-new', connectorConfig: { provider: 'OTHER', roleArn: ROLE } }));
    await control.registerAgent({ activationId: cluster!.connectorConfig!.activationId!, activationCode: cluster!.connectorConfig!.activationCode! });
    assert.equal((await describe_('edge-new')).status, 'ACTIVE');
    assert.equal((await describe_('edge-new')).version, undefined, 'no version until the agent reports one');
    await control.reportKubernetesVersion(cluster!.connectorConfig!.activationId!, '1.31');
    assert.equal((await describe_('edge-new')).version, '1.31');
    await assert.rejects(control.reportKubernetesVersion('00000000-0000-0000-0000-000000000000', '1.31'), /no connected cluster registered with activation/);
    await assert.rejects(control.reportKubernetesVersion(cluster!.connectorConfig!.activationId!, 'v1.31.2'), /version must be/);
  });

  it('lists only EKS clusters without include, and every cluster, sorted, with include=all', async () => {
    const plain = await eks.send(new ListClustersCommand({}));
    assert.deepEqual(plain.clusters, ['being-born', 'prod']);
    assert.equal(plain.nextToken, undefined);
    const all = await eks.send(new ListClustersCommand({ include: ['all'] }));
    assert.deepEqual(all.clusters, ['being-born', 'edge-active', 'edge-failed', 'edge-pending', 'edge-stale', 'prod']);
  });

  for (const include of [['ALL'], ['All'], ['everything'], ['']]) {
    it(`refuses include=${JSON.stringify(include[0])}`, async () => {
      const error = await rejection(eks.send(new ListClustersCommand({ include })));
      assert.ok(error instanceof InvalidParameterException, error.name);
      assert.equal(error.$metadata.httpStatusCode, 400);
    });
  }

  for (const maxResults of [0, 101, -1]) {
    it(`refuses maxResults=${maxResults}`, async () => {
      const error = await rejection(eks.send(new ListClustersCommand({ maxResults })));
      assert.ok(error instanceof InvalidParameterException, error.name);
      assert.match(error.message, /maxResults/);
    });
  }

  it('pages with maxResults and an opaque nextToken, ending without a token', async () => {
    const names: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await eks.send(new ListClustersCommand({ include: ['all'], maxResults: 4, nextToken }));
      assert.ok((page.clusters ?? []).length <= 4);
      names.push(...(page.clusters ?? []));
      nextToken = page.nextToken;
      pages++;
      if (nextToken) assert.ok(!names.some((name) => nextToken!.includes(name)), 'the token does not expose cluster names');
    } while (nextToken);
    assert.equal(pages, 2);
    assert.deepEqual(names, ['being-born', 'edge-active', 'edge-failed', 'edge-pending', 'edge-stale', 'prod']);
  });

  it('works with the SDK paginator', async () => {
    const names: string[] = [];
    for await (const page of paginateListClusters({ client: eks, pageSize: 1 }, { include: ['all'] })) names.push(...(page.clusters ?? []));
    assert.equal(names.length, 6);
  });

  it('defaults to 100 clusters per page', async () => {
    const clusters = Array.from({ length: 105 }, (_, i) => ({ name: `eks-${String(i).padStart(3, '0')}` }));
    await control.loadSeed({ regions: { 'ap-south-1': { clusters } } });
    const client = new EKSClient(emulatorClientConfig(emulator.url, { region: 'ap-south-1', maxAttempts: 1 }));
    const first = await client.send(new ListClustersCommand({}));
    assert.equal(first.clusters?.length, 100);
    assert.ok(first.nextToken);
    const second = await client.send(new ListClustersCommand({ nextToken: first.nextToken }));
    assert.deepEqual(second.clusters, ['eks-100', 'eks-101', 'eks-102', 'eks-103', 'eks-104']);
  });

  it('refuses a forged, garbled or foreign nextToken', async () => {
    const { nextToken } = await eks.send(new ListClustersCommand({ include: ['all'], maxResults: 2 }));
    assert.ok(nextToken);
    const forged = `${Buffer.from(JSON.stringify(['eks:ListClusters:000000000000:us-west-2:all', 'edge-active'])).toString('base64url')}.AAAAAAAAAAAAAAAAAAAAAA`;
    for (const token of [forged, 'garbage', `${nextToken}x`]) {
      const error = await rejection(eks.send(new ListClustersCommand({ include: ['all'], nextToken: token })));
      assert.ok(error instanceof InvalidParameterException, `${token}: ${error.name}`);
    }
    const foreign = await rejection(eks.send(new ListClustersCommand({ nextToken })));
    assert.ok(foreign instanceof InvalidParameterException, 'a token from an include=all listing is refused without include');
  });

  it('deregisters: DELETING at once, then 404 after deregisterSeconds; the activation and instances go too', async () => {
    const before = await describe_('edge-active');
    const activationId = before.connectorConfig!.activationId!;
    const instancesBefore = await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'ActivationIds', Values: [activationId] }] }));
    assert.equal(instancesBefore.InstanceInformationList?.length, 2);

    const { cluster } = await eks.send(new DeregisterClusterCommand({ name: 'edge-active' }));
    assert.equal(cluster?.status, 'DELETING');
    assert.equal(cluster?.connectorConfig?.activationId, activationId);
    await control.advanceClock(4);
    assert.equal((await describe_('edge-active')).status, 'DELETING');
    assert.ok((await eks.send(new ListClustersCommand({ include: ['all'] }))).clusters?.includes('edge-active'));
    await control.advanceClock(1);
    const gone = await rejection(eks.send(new DescribeClusterCommand({ name: 'edge-active' })));
    assert.ok(gone instanceof ResourceNotFoundException, gone.name);
    assert.ok(!(await eks.send(new ListClustersCommand({ include: ['all'] }))).clusters?.includes('edge-active'));

    const activations = await ssm.send(new DescribeActivationsCommand({ Filters: [{ FilterKey: 'ActivationIds', FilterValues: [activationId] }] }));
    assert.deepEqual(activations.ActivationList, []);
    const instancesAfter = await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'ActivationIds', Values: [activationId] }] }));
    assert.deepEqual(instancesAfter.InstanceInformationList, []);
  });

  it('keeps the name taken while DELETING, and frees it afterwards', async () => {
    await eks.send(new DeregisterClusterCommand({ name: 'edge-failed' }));
    const taken = await rejection(eks.send(new RegisterClusterCommand({ name: 'edge-failed', connectorConfig: { provider: 'OTHER', roleArn: ROLE } })));
    assert.ok(taken instanceof ResourceInUseException, taken.name);
    const twice = await rejection(eks.send(new DeregisterClusterCommand({ name: 'edge-failed' })));
    assert.ok(twice instanceof ResourceInUseException, twice.name);
    await control.advanceClock(5);
    const { cluster } = await eks.send(new RegisterClusterCommand({ name: 'edge-failed', connectorConfig: { provider: 'OTHER', roleArn: ROLE } }));
    assert.equal(cluster?.status, 'PENDING');
  });

  it('refuses to deregister an EKS-managed cluster', async () => {
    const error = await rejection(eks.send(new DeregisterClusterCommand({ name: 'prod' })));
    assert.ok(error instanceof InvalidRequestException, error.name);
    assert.equal(error.$metadata.httpStatusCode, 400);
    assert.match(error.message, /not a registered cluster/);
    assert.equal((await describe_('prod')).status, 'ACTIVE');
  });

  it('answers deregistering an unknown cluster with ResourceNotFoundException', async () => {
    const error = await rejection(eks.send(new DeregisterClusterCommand({ name: 'ghost' })));
    assert.ok(error instanceof ResourceNotFoundException, error.name);
    assert.equal(error.$metadata.httpStatusCode, 404);
  });
});

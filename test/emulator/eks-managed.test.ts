// EKS-managed clusters through the real EKS SDK client: nodegroups, updates driven by the emulator clock, version
// upgrades, tags, and the refusal of these APIs for connected clusters.
import assert from 'node:assert/strict';
import {
  BadRequestException, DescribeClusterCommand, DescribeNodegroupCommand, DescribeUpdateCommand, EKSClient, InvalidParameterException,
  InvalidRequestException, ListNodegroupsCommand, ListTagsForResourceCommand, ListUpdatesCommand, NotFoundException,
  ResourceInUseException, ResourceNotFoundException, TagResourceCommand, UntagResourceCommand, UpdateClusterConfigCommand,
  UpdateClusterVersionCommand, UpdateNodegroupConfigCommand, UpdateNodegroupVersionCommand,
} from '@aws-sdk/client-eks';
import { emulatorClientConfig } from '../../emulator/src/client-config';
import { EmulatorControl } from '../../emulator/src/control-client';
import type { Seed } from '../../emulator/src/seed';
import { startEmulator, type RunningEmulator } from '../../emulator/src/server';
import { rejection } from '../support/rejection';

const ACCOUNT = '000000000000';
const SEED: Seed = {
  timings: { updateSeconds: 30 },
  regions: {
    'eu-west-1': {
      clusters: [
        {
          name: 'prod', version: '1.30', tags: { env: 'prod' },
          nodegroups: [
            {
              name: 'ng-b', instanceTypes: ['m6i.large', 'm5.large'], minSize: 1, maxSize: 5, desiredSize: 2, labels: { role: 'worker' },
              capacityType: 'SPOT', healthIssues: [{ code: 'AsgInstanceLaunchFailures', message: 'capacity', resourceIds: ['eks-ng-b'] }],
            },
            { name: 'ng-a' },
          ],
        },
        { name: 'edge', connector: { provider: 'OTHER', roleArn: `arn:aws:iam::${ACCOUNT}:role/Agent`, status: 'ACTIVE', version: '1.29' } },
      ],
    },
  },
};

describe('emulator: EKS-managed clusters (nodegroups, updates, tags)', function () {
  let emulator: RunningEmulator;
  let control: EmulatorControl;
  let eks: EKSClient;


  const cluster = async (name = 'prod') => (await eks.send(new DescribeClusterCommand({ name }))).cluster!;

  before(async () => {
    emulator = await startEmulator({ seed: SEED });
    control = new EmulatorControl(emulator.url);
    eks = new EKSClient(emulatorClientConfig(emulator.url, { region: 'eu-west-1', maxAttempts: 1 }));
  });
  after(() => emulator.close());
  beforeEach(() => control.loadSeed(SEED));

  it('lists nodegroups sorted and pages them', async () => {
    assert.deepEqual((await eks.send(new ListNodegroupsCommand({ clusterName: 'prod' }))).nodegroups, ['ng-a', 'ng-b']);
    const first = await eks.send(new ListNodegroupsCommand({ clusterName: 'prod', maxResults: 1 }));
    assert.deepEqual(first.nodegroups, ['ng-a']);
    const second = await eks.send(new ListNodegroupsCommand({ clusterName: 'prod', maxResults: 1, nextToken: first.nextToken }));
    assert.deepEqual(second.nodegroups, ['ng-b']);
    assert.equal(second.nextToken, undefined);
  });

  it('describes a nodegroup with the real shape', async () => {
    const { nodegroup } = await eks.send(new DescribeNodegroupCommand({ clusterName: 'prod', nodegroupName: 'ng-b' }));
    assert.ok(nodegroup);
    assert.match(nodegroup.nodegroupArn ?? '', new RegExp(`^arn:aws:eks:eu-west-1:${ACCOUNT}:nodegroup/prod/ng-b/[0-9a-f-]{36}$`));
    assert.equal(nodegroup.clusterName, 'prod');
    assert.equal(nodegroup.status, 'ACTIVE');
    assert.equal(nodegroup.version, '1.30');
    assert.equal(nodegroup.capacityType, 'SPOT');
    assert.deepEqual(nodegroup.instanceTypes, ['m6i.large', 'm5.large']);
    assert.deepEqual(nodegroup.scalingConfig, { minSize: 1, maxSize: 5, desiredSize: 2 });
    assert.deepEqual(nodegroup.labels, { role: 'worker' });
    assert.equal(nodegroup.amiType, 'AL2023_x86_64_STANDARD');
    assert.deepEqual(nodegroup.health?.issues, [{ code: 'AsgInstanceLaunchFailures', message: 'capacity', resourceIds: ['eks-ng-b'] }]);
    assert.match(nodegroup.resources?.autoScalingGroups?.[0].name ?? '', /^eks-ng-b-/);
    assert.ok(nodegroup.createdAt instanceof Date);
  });

  it('answers an unknown nodegroup or cluster with ResourceNotFoundException', async () => {
    const nodegroup = await rejection(eks.send(new DescribeNodegroupCommand({ clusterName: 'prod', nodegroupName: 'ng-z' })));
    assert.ok(nodegroup instanceof ResourceNotFoundException, nodegroup.name);
    assert.equal(nodegroup.$metadata.httpStatusCode, 404);
    assert.equal(nodegroup.nodegroupName, 'ng-z');
    const clusterError = await rejection(eks.send(new ListNodegroupsCommand({ clusterName: 'ghost' })));
    assert.ok(clusterError instanceof ResourceNotFoundException, clusterError.name);
  });

  it('refuses nodegroup and update APIs for a connected cluster', async () => {
    for (const call of [
      eks.send(new ListNodegroupsCommand({ clusterName: 'edge' })),
      eks.send(new ListUpdatesCommand({ name: 'edge' })),
      eks.send(new UpdateClusterConfigCommand({ name: 'edge', logging: { clusterLogging: [{ types: ['api'], enabled: true }] } })),
      eks.send(new UpdateClusterVersionCommand({ name: 'edge', version: '1.30' })),
    ]) {
      const error = await rejection(call);
      assert.ok(error instanceof InvalidRequestException, error.name);
      assert.match(error.message, /registered cluster edge/);
    }
  });

  it('runs an endpoint access update: InProgress while UPDATING, applied after updateSeconds', async () => {
    const { update } = await eks.send(new UpdateClusterConfigCommand({ name: 'prod', resourcesVpcConfig: { endpointPrivateAccess: true, publicAccessCidrs: ['203.0.113.0/24'] } }));
    assert.ok(update?.id);
    assert.match(update.id, /^[0-9a-f-]{36}$/);
    assert.equal(update.status, 'InProgress');
    assert.equal(update.type, 'EndpointAccessUpdate');
    assert.ok(update.createdAt instanceof Date);
    assert.deepEqual(update.params, [
      { type: 'EndpointPublicAccess', value: 'true' },
      { type: 'EndpointPrivateAccess', value: 'true' },
      { type: 'PublicAccessCidrs', value: '["203.0.113.0/24"]' },
    ]);
    const during = await cluster();
    assert.equal(during.status, 'UPDATING');
    assert.equal(during.resourcesVpcConfig?.endpointPrivateAccess, false, 'not applied yet');
    assert.ok(during.endpoint, 'an UPDATING cluster keeps its endpoint');
    assert.deepEqual((await eks.send(new ListUpdatesCommand({ name: 'prod' }))).updateIds, [update.id]);

    await control.advanceClock(29);
    assert.equal((await eks.send(new DescribeUpdateCommand({ name: 'prod', updateId: update.id }))).update?.status, 'InProgress');
    await control.advanceClock(1);
    assert.equal((await eks.send(new DescribeUpdateCommand({ name: 'prod', updateId: update.id }))).update?.status, 'Successful');
    const after = await cluster();
    assert.equal(after.status, 'ACTIVE');
    assert.equal(after.resourcesVpcConfig?.endpointPrivateAccess, true);
    assert.deepEqual(after.resourcesVpcConfig?.publicAccessCidrs, ['203.0.113.0/24']);
  });

  it('refuses a second update while one is in progress, with the real "currently has update" wording', async () => {
    const { update } = await eks.send(new UpdateClusterConfigCommand({ name: 'prod', logging: { clusterLogging: [{ types: ['api'], enabled: true }] } }));
    const error = await rejection(eks.send(new UpdateClusterVersionCommand({ name: 'prod', version: '1.31' })));
    assert.ok(error instanceof InvalidRequestException, error.name);
    assert.equal(error.message, `Cannot VersionUpdate because cluster prod currently has update ${update!.id} in progress`);
    await control.advanceClock(30);
    const { update: next } = await eks.send(new UpdateClusterVersionCommand({ name: 'prod', version: '1.31' }));
    assert.equal(next?.status, 'InProgress');
  });

  it('applies a logging update', async () => {
    const { update } = await eks.send(new UpdateClusterConfigCommand({ name: 'prod', logging: { clusterLogging: [{ types: ['audit', 'api'], enabled: true }] } }));
    assert.equal(update?.type, 'LoggingUpdate');
    await control.advanceClock(30);
    const enabled = (await cluster()).logging?.clusterLogging?.find((group) => group.enabled);
    assert.deepEqual(enabled?.types, ['api', 'audit']);
  });

  it('refuses updates that change nothing or mix update types', async () => {
    const noop = await rejection(eks.send(new UpdateClusterConfigCommand({ name: 'prod', resourcesVpcConfig: { endpointPublicAccess: true } })));
    assert.ok(noop instanceof InvalidParameterException, noop.name);
    assert.match(noop.message, /already at the desired configuration/);
    const mixed = await rejection(eks.send(new UpdateClusterConfigCommand({ name: 'prod', resourcesVpcConfig: { endpointPrivateAccess: true }, logging: { clusterLogging: [{ types: ['api'], enabled: true }] } })));
    assert.ok(mixed instanceof InvalidParameterException, mixed.name);
    const closed = await rejection(eks.send(new UpdateClusterConfigCommand({ name: 'prod', resourcesVpcConfig: { endpointPublicAccess: false, endpointPrivateAccess: false } })));
    assert.ok(closed instanceof InvalidParameterException, closed.name);
    assert.equal((await cluster()).status, 'ACTIVE');
  });

  it('upgrades the version by exactly one minor', async () => {
    for (const version of ['1.32', '1.30', '1.29', '2.0', 'latest']) {
      const error = await rejection(eks.send(new UpdateClusterVersionCommand({ name: 'prod', version })));
      assert.ok(error instanceof InvalidParameterException, `${version}: ${error.name}`);
      assert.match(error.message, /Unsupported Kubernetes minor version update from 1\.30/);
    }
    const { update } = await eks.send(new UpdateClusterVersionCommand({ name: 'prod', version: '1.31' }));
    assert.equal(update?.type, 'VersionUpdate');
    assert.deepEqual(update?.params?.find((param) => param.type === 'Version')?.value, '1.31');
    assert.equal((await cluster()).version, '1.30');
    await control.advanceClock(30);
    const upgraded = await cluster();
    assert.equal(upgraded.version, '1.31');
    assert.equal(upgraded.platformVersion, 'eks.1');
    assert.equal(upgraded.status, 'ACTIVE');
  });

  it('is idempotent on an update clientRequestToken', async () => {
    const token = 'c0ffee00-0000-4000-8000-000000000001';
    const first = await eks.send(new UpdateClusterVersionCommand({ name: 'prod', version: '1.31', clientRequestToken: token }));
    const again = await eks.send(new UpdateClusterVersionCommand({ name: 'prod', version: '1.31', clientRequestToken: token }));
    assert.equal(again.update?.id, first.update?.id);
    assert.equal((await eks.send(new ListUpdatesCommand({ name: 'prod' }))).updateIds?.length, 1);
    const mismatch = await rejection(eks.send(new UpdateClusterVersionCommand({ name: 'prod', version: '1.32', clientRequestToken: token })));
    assert.ok(mismatch instanceof InvalidRequestException, mismatch.name);
    assert.match(mismatch.message, /idempotent parameter mismatch/);
  });

  it('runs nodegroup config and version updates and lists them per nodegroup', async () => {
    const { update } = await eks.send(new UpdateNodegroupConfigCommand({ clusterName: 'prod', nodegroupName: 'ng-b', scalingConfig: { desiredSize: 4 }, labels: { addOrUpdateLabels: { tier: 'gold' }, removeLabels: ['role'] } }));
    assert.equal(update?.type, 'ConfigUpdate');
    assert.equal((await eks.send(new DescribeNodegroupCommand({ clusterName: 'prod', nodegroupName: 'ng-b' }))).nodegroup?.status, 'UPDATING');
    assert.equal((await cluster()).status, 'ACTIVE', 'a nodegroup update leaves the cluster ACTIVE');
    assert.deepEqual((await eks.send(new ListUpdatesCommand({ name: 'prod', nodegroupName: 'ng-b' }))).updateIds, [update!.id]);
    assert.deepEqual((await eks.send(new ListUpdatesCommand({ name: 'prod' }))).updateIds, []);
    const busy = await rejection(eks.send(new UpdateNodegroupVersionCommand({ clusterName: 'prod', nodegroupName: 'ng-b' })));
    assert.ok(busy instanceof InvalidRequestException, busy.name);
    await control.advanceClock(30);
    const { nodegroup } = await eks.send(new DescribeNodegroupCommand({ clusterName: 'prod', nodegroupName: 'ng-b' }));
    assert.equal(nodegroup?.status, 'ACTIVE');
    assert.equal(nodegroup?.scalingConfig?.desiredSize, 4);
    assert.deepEqual(nodegroup?.labels, { tier: 'gold' });
    const described = await eks.send(new DescribeUpdateCommand({ name: 'prod', updateId: update!.id, nodegroupName: 'ng-b' }));
    assert.equal(described.update?.status, 'Successful');

    const invalid = await rejection(eks.send(new UpdateNodegroupConfigCommand({ clusterName: 'prod', nodegroupName: 'ng-b', scalingConfig: { desiredSize: 9 } })));
    assert.ok(invalid instanceof InvalidParameterException, invalid.name);
    const newer = await rejection(eks.send(new UpdateNodegroupVersionCommand({ clusterName: 'prod', nodegroupName: 'ng-a', version: '1.31' })));
    assert.ok(newer instanceof InvalidParameterException, 'a nodegroup cannot be newer than its cluster');
  });

  it('answers an unknown update id with ResourceNotFoundException', async () => {
    const error = await rejection(eks.send(new DescribeUpdateCommand({ name: 'prod', updateId: '00000000-0000-4000-8000-000000000000' })));
    assert.ok(error instanceof ResourceNotFoundException, error.name);
  });

  it('refuses a cluster update while the cluster is not ACTIVE', async () => {
    await control.loadSeed({ regions: { 'eu-west-1': { clusters: [{ name: 'prod', version: '1.30', status: 'CREATING' }] } } });
    const error = await rejection(eks.send(new UpdateClusterVersionCommand({ name: 'prod', version: '1.31' })));
    assert.ok(error instanceof ResourceInUseException, error.name);
  });

  it('tags, lists and untags EKS and connected cluster ARNs', async () => {
    for (const name of ['prod', 'edge']) {
      const arn = (await cluster(name)).arn!;
      await eks.send(new TagResourceCommand({ resourceArn: arn, tags: { owner: 'team-a', 'cost/center': '42' } }));
      const { tags } = await eks.send(new ListTagsForResourceCommand({ resourceArn: arn }));
      assert.equal(tags?.owner, 'team-a');
      assert.equal(tags?.['cost/center'], '42');
      await eks.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['owner', 'cost/center'] }));
      const after = await eks.send(new ListTagsForResourceCommand({ resourceArn: arn }));
      assert.equal(after.tags?.owner, undefined);
      assert.deepEqual((await cluster(name)).tags, after.tags);
    }
    assert.deepEqual((await cluster('prod')).tags, { env: 'prod' });
  });

  it('tags a nodegroup ARN', async () => {
    const { nodegroup } = await eks.send(new DescribeNodegroupCommand({ clusterName: 'prod', nodegroupName: 'ng-a' }));
    await eks.send(new TagResourceCommand({ resourceArn: nodegroup!.nodegroupArn!, tags: { pool: 'a' } }));
    assert.deepEqual((await eks.send(new ListTagsForResourceCommand({ resourceArn: nodegroup!.nodegroupArn! }))).tags, { pool: 'a' });
  });

  it('answers an unknown ARN with 404 NotFoundException and a malformed one with 400 BadRequestException', async () => {
    const unknown = await rejection(eks.send(new ListTagsForResourceCommand({ resourceArn: `arn:aws:eks:eu-west-1:${ACCOUNT}:cluster/ghost` })));
    assert.ok(unknown instanceof NotFoundException, unknown.name);
    assert.equal(unknown.$metadata.httpStatusCode, 404);
    const otherRegion = await rejection(eks.send(new ListTagsForResourceCommand({ resourceArn: `arn:aws:eks:us-east-1:${ACCOUNT}:cluster/prod` })));
    assert.ok(otherRegion instanceof NotFoundException, otherRegion.name);
    for (const resourceArn of ['prod', 'arn:aws:s3:::bucket', `arn:aws:eks:eu-west-1:${ACCOUNT}:widget/prod`]) {
      const malformed = await rejection(eks.send(new TagResourceCommand({ resourceArn, tags: { a: 'b' } })));
      assert.ok(malformed instanceof BadRequestException, `${resourceArn}: ${malformed.name}`);
      assert.equal(malformed.$metadata.httpStatusCode, 400);
    }
  });

  it('refuses invalid tags with BadRequestException', async () => {
    const arn = (await cluster()).arn!;
    for (const tags of [{ 'aws:reserved': 'x' }, { ['k'.repeat(129)]: 'x' }, Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`t${i}`, 'v']))]) {
      const error = await rejection(eks.send(new TagResourceCommand({ resourceArn: arn, tags })));
      assert.ok(error instanceof BadRequestException, error.name);
    }
    assert.deepEqual((await cluster()).tags, { env: 'prod' }, 'a refused TagResource changes nothing');
  });
});

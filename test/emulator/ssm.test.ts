// SSM through the real SSM SDK client: activations and managed instances created by connected clusters, plus the
// unsigned RegisterManagedInstance that connector-init sends (not in the SDK, so it is sent as the agent sends it).
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { EKSClient, RegisterClusterCommand, DescribeClusterCommand } from '@aws-sdk/client-eks';
import {
  DeleteActivationCommand, DeregisterManagedInstanceCommand, DescribeActivationsCommand, DescribeInstanceInformationCommand, InvalidActivationId,
  InvalidFilter, InvalidFilterKey, InvalidInstanceId, InvalidInstanceInformationFilterValue, InvalidNextToken, SSMClient,
  paginateDescribeInstanceInformation, type InstanceInformation,
} from '@aws-sdk/client-ssm';
import { emulatorClientConfig } from '../../emulator/src/client-config';
import { EmulatorControl } from '../../emulator/src/control-client';
import { startEmulator, type RunningEmulator } from '../../emulator/src/server';
import { rejection } from '../support/rejection';

const ROLE = 'arn:aws:iam::000000000000:role/AmazonEKSConnectorAgentRole';

interface Registered {
  name: string;
  activationId: string;
  activationCode: string;
}

describe('emulator: SSM activations and managed instances', function () {
  let emulator: RunningEmulator;
  let control: EmulatorControl;
  let eks: EKSClient;
  let ssm: SSMClient;


  async function registerCluster(name: string): Promise<Registered> {
    const { cluster } = await eks.send(new RegisterClusterCommand({ name, connectorConfig: { provider: 'OTHER', roleArn: ROLE } }));
    return { name, activationId: cluster!.connectorConfig!.activationId!, activationCode: cluster!.connectorConfig!.activationCode! };
  }

  /** What connector-init sends: awsJson1_1, no Authorization header. */
  async function registerManagedInstance(body: Record<string, unknown>): Promise<{ status: number; body: Record<string, string> }> {
    const response = await fetch(`${emulator.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.RegisterManagedInstance' },
      body: JSON.stringify({ PublicKey: randomBytes(294).toString('base64'), PublicKeyType: 'Rsa', Fingerprint: randomUUID(), ...body }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, string> };
  }

  const instances = async (filters: { Key: string; Values: string[] }[]): Promise<InstanceInformation[]> =>
    (await ssm.send(new DescribeInstanceInformationCommand({ Filters: filters }))).InstanceInformationList ?? [];

  before(async () => {
    emulator = await startEmulator();
    control = new EmulatorControl(emulator.url);
    eks = new EKSClient(emulatorClientConfig(emulator.url, { region: 'us-east-2', maxAttempts: 1 }));
    ssm = new SSMClient(emulatorClientConfig(emulator.url, { region: 'us-east-2', maxAttempts: 1 }));
  });
  after(() => emulator.close());
  beforeEach(() => control.reset());

  it('registers the agent without a signature, records a managed instance and activates the cluster', async () => {
    const edge = await registerCluster('edge');
    const response = await registerManagedInstance({ ActivationId: edge.activationId, ActivationCode: edge.activationCode });
    assert.equal(response.status, 200);
    assert.match(response.body.InstanceId, /^eks_c:edge_\w{17}$/);

    const [instance] = await instances([{ Key: 'InstanceIds', Values: [response.body.InstanceId] }]);
    assert.equal(instance.InstanceId, response.body.InstanceId);
    assert.equal(instance.PingStatus, 'Online');
    assert.equal(instance.PlatformType, 'Linux');
    assert.equal(instance.ResourceType, 'ManagedInstance');
    assert.equal(instance.ActivationId, edge.activationId);
    assert.equal(instance.IamRole, 'AmazonEKSConnectorAgentRole');
    assert.match(instance.AgentVersion ?? '', /^\d+\.\d+\.\d+\.\d+$/);
    assert.ok(instance.RegistrationDate instanceof Date);
    assert.ok(instance.LastPingDateTime instanceof Date);

    assert.equal((await eks.send(new DescribeClusterCommand({ name: 'edge' }))).cluster?.status, 'ACTIVE');
    const { ActivationList } = await ssm.send(new DescribeActivationsCommand({ Filters: [{ FilterKey: 'ActivationIds', FilterValues: [edge.activationId] }] }));
    assert.equal(ActivationList?.[0].RegistrationsCount, 1);
  });

  it('answers a wrong code, an unknown id or a deleted activation with InvalidActivation', async () => {
    const edge = await registerCluster('edge');
    const wrongCode = await registerManagedInstance({ ActivationId: edge.activationId, ActivationCode: 'A'.repeat(20) });
    assert.equal(wrongCode.status, 400);
    assert.equal(wrongCode.body.__type, 'InvalidActivation');
    const unknown = await registerManagedInstance({ ActivationId: randomUUID(), ActivationCode: edge.activationCode });
    assert.equal(unknown.body.__type, 'InvalidActivation');
    await ssm.send(new DeleteActivationCommand({ ActivationId: edge.activationId }));
    const deleted = await registerManagedInstance({ ActivationId: edge.activationId, ActivationCode: edge.activationCode });
    assert.equal(deleted.body.__type, 'InvalidActivation');
    assert.equal((await eks.send(new DescribeClusterCommand({ name: 'edge' }))).cluster?.status, 'PENDING');
  });

  it('answers an expired activation with InvalidActivation', async () => {
    const edge = await registerCluster('edge');
    await control.advanceClock(72 * 3600 + 1);
    const expired = await registerManagedInstance({ ActivationId: edge.activationId, ActivationCode: edge.activationCode });
    assert.equal(expired.status, 400);
    assert.equal(expired.body.__type, 'InvalidActivation');
    assert.match(expired.body.Message, /expired/);
  });

  it('allows two registrations (one per replica) and refuses a third', async () => {
    const edge = await registerCluster('edge');
    const first = await registerManagedInstance({ ActivationId: edge.activationId, ActivationCode: edge.activationCode });
    const second = await registerManagedInstance({ ActivationId: edge.activationId, ActivationCode: edge.activationCode });
    assert.notEqual(first.body.InstanceId, second.body.InstanceId);
    const third = await registerManagedInstance({ ActivationId: edge.activationId, ActivationCode: edge.activationCode });
    assert.equal(third.status, 400);
    assert.equal(third.body.__type, 'InvalidActivation');
    assert.match(third.body.Message, /registration limit of 2/);
  });

  it('refuses a malformed registration with ValidationException', async () => {
    const edge = await registerCluster('edge');
    const shortKey = await registerManagedInstance({ ActivationId: edge.activationId, ActivationCode: edge.activationCode, PublicKey: 'abc' });
    assert.equal(shortKey.body.__type, 'ValidationException');
    const keyType = await registerManagedInstance({ ActivationId: edge.activationId, ActivationCode: edge.activationCode, PublicKeyType: 'Ecdsa' });
    assert.equal(keyType.body.__type, 'ValidationException');
  });

  it('filters instances by ActivationIds, InstanceIds and PingStatus', async () => {
    const a = await registerCluster('a');
    const b = await registerCluster('b');
    const a1 = await control.registerAgent(a);
    const a2 = await control.registerAgent(a);
    const b1 = await control.registerAgent(b);
    assert.deepEqual((await instances([{ Key: 'ActivationIds', Values: [a.activationId] }])).map((i) => i.InstanceId).sort(), [a1, a2].sort());
    assert.deepEqual((await instances([{ Key: 'InstanceIds', Values: [b1] }])).map((i) => i.InstanceId), [b1]);

    await control.setInstancePingStatus(a2, 'ConnectionLost');
    assert.deepEqual((await instances([{ Key: 'PingStatus', Values: ['ConnectionLost'] }])).map((i) => i.InstanceId), [a2]);
    assert.deepEqual((await instances([{ Key: 'PingStatus', Values: ['Online'] }, { Key: 'ActivationIds', Values: [a.activationId] }])).map((i) => i.InstanceId), [a1]);
  });

  it('refuses bad instance filters with the real error classes', async () => {
    const badValue = await rejection(instances([{ Key: 'PingStatus', Values: ['Offline'] }]));
    assert.ok(badValue instanceof InvalidInstanceInformationFilterValue, badValue.name);
    assert.equal(badValue.$metadata.httpStatusCode, 400);
    const badKey = await rejection(instances([{ Key: 'Colour', Values: ['red'] }]));
    assert.ok(badKey instanceof InvalidFilterKey, badKey.name);
    const emptyValues = await rejection(instances([{ Key: 'InstanceIds', Values: [] }]));
    assert.ok(emptyValues instanceof InvalidInstanceInformationFilterValue, emptyValues.name);
  });

  for (const MaxResults of [4, 51]) {
    it(`refuses DescribeInstanceInformation MaxResults ${MaxResults} (range 5–50)`, async () => {
      const error = await rejection(ssm.send(new DescribeInstanceInformationCommand({ MaxResults })));
      assert.equal(error.name, 'ValidationException');
      assert.match(error.message, /maxResults/);
    });
  }

  it('pages instances with MaxResults and NextToken', async () => {
    for (const name of ['p1', 'p2', 'p3']) {
      const cluster = await registerCluster(name);
      await control.registerAgent(cluster);
      await control.registerAgent(cluster);
    }
    const first = await ssm.send(new DescribeInstanceInformationCommand({ MaxResults: 5 }));
    assert.equal(first.InstanceInformationList?.length, 5);
    assert.ok(first.NextToken);
    const seen: string[] = [];
    for await (const page of paginateDescribeInstanceInformation({ client: ssm, pageSize: 5 }, {})) seen.push(...(page.InstanceInformationList ?? []).map((i) => i.InstanceId!));
    assert.equal(seen.length, 6);
    assert.equal(new Set(seen).size, 6);
    const badToken = await rejection(ssm.send(new DescribeInstanceInformationCommand({ NextToken: 'not-a-token' })));
    assert.ok(badToken instanceof InvalidNextToken, badToken.name);
  });

  it('describes activations with filters, paging and the Expired flag following the clock', async () => {
    const x = await registerCluster('x');
    await registerCluster('y');
    const byRole = await ssm.send(new DescribeActivationsCommand({ Filters: [{ FilterKey: 'IamRole', FilterValues: ['AmazonEKSConnectorAgentRole'] }] }));
    assert.equal(byRole.ActivationList?.length, 2);
    const byName = await ssm.send(new DescribeActivationsCommand({ Filters: [{ FilterKey: 'DefaultInstanceName', FilterValues: ['eks_c:x'] }] }));
    assert.deepEqual(byName.ActivationList?.map((a) => a.ActivationId), [x.activationId]);
    const first = await ssm.send(new DescribeActivationsCommand({ MaxResults: 1 }));
    assert.equal(first.ActivationList?.length, 1);
    const second = await ssm.send(new DescribeActivationsCommand({ MaxResults: 1, NextToken: first.NextToken }));
    assert.equal(second.ActivationList?.length, 1);
    assert.notEqual(second.ActivationList?.[0].ActivationId, first.ActivationList?.[0].ActivationId);
    assert.equal(second.NextToken, undefined);

    await control.advanceClock(72 * 3600 + 1);
    const later = await ssm.send(new DescribeActivationsCommand({}));
    assert.ok(later.ActivationList?.every((activation) => activation.Expired === true));
  });

  it('refuses a bad activation filter key or MaxResults', async () => {
    const badKey = await rejection(ssm.send(new DescribeActivationsCommand({ Filters: [{ FilterKey: 'Name' as 'IamRole', FilterValues: ['x'] }] })));
    assert.ok(badKey instanceof InvalidFilter, badKey.name);
    const badMax = await rejection(ssm.send(new DescribeActivationsCommand({ MaxResults: 0 })));
    assert.equal(badMax.name, 'ValidationException');
  });

  it('deletes an activation, and answers an unknown one with InvalidActivationId', async () => {
    const edge = await registerCluster('edge');
    await ssm.send(new DeleteActivationCommand({ ActivationId: edge.activationId }));
    assert.deepEqual((await ssm.send(new DescribeActivationsCommand({}))).ActivationList, []);
    const error = await rejection(ssm.send(new DeleteActivationCommand({ ActivationId: edge.activationId })));
    assert.ok(error instanceof InvalidActivationId, error.name);
    assert.equal(error.$metadata.httpStatusCode, 400);
  });

  it('deregisters an eks_c: managed instance, and answers unknown or malformed ids with InvalidInstanceId', async () => {
    const edge = await registerCluster('edge');
    const instanceId = await control.registerAgent(edge);
    await ssm.send(new DeregisterManagedInstanceCommand({ InstanceId: instanceId }));
    assert.deepEqual(await instances([{ Key: 'ActivationIds', Values: [edge.activationId] }]), []);
    for (const id of [instanceId, 'mi-0123456789abcdef0', 'i-0123456789abcdef0', 'eks_c:edge_short']) {
      const error = await rejection(ssm.send(new DeregisterManagedInstanceCommand({ InstanceId: id })));
      assert.ok(error instanceof InvalidInstanceId, `${id}: ${error.name}`);
    }
  });

  it('keeps SSM state per region', async () => {
    const edge = await registerCluster('edge');
    await control.registerAgent(edge);
    const otherRegion = new SSMClient(emulatorClientConfig(emulator.url, { region: 'eu-west-1' }));
    assert.deepEqual((await otherRegion.send(new DescribeInstanceInformationCommand({}))).InstanceInformationList, []);
    assert.deepEqual((await otherRegion.send(new DescribeActivationsCommand({}))).ActivationList, []);
  });
});

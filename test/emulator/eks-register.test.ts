// RegisterCluster through the real EKS SDK client: validation, conflicts, quota, regions, idempotency, the
// activation it creates, and the IAM/SSM permissions it needs.
import assert from 'node:assert/strict';
import {
  DescribeClusterCommand, EKSClient, InvalidParameterException, InvalidRequestException, RegisterClusterCommand,
  ResourceInUseException, ResourceLimitExceededException, ResourceNotFoundException, type RegisterClusterCommandInput,
} from '@aws-sdk/client-eks';
import { DescribeActivationsCommand, SSMClient } from '@aws-sdk/client-ssm';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { emulatorClientConfig, type EmulatorCredentials } from '../../emulator/src/client-config';
import { EmulatorControl } from '../../emulator/src/control-client';
import type { Seed } from '../../emulator/src/seed';
import { startEmulator, type RunningEmulator } from '../../emulator/src/server';
import { rejection } from '../support/rejection';

const ACCOUNT = '111122223333';
const AGENT_ROLE = `arn:aws:iam::${ACCOUNT}:role/AmazonEKSConnectorAgentRole`;
const ADMIN: EmulatorCredentials = { accessKeyId: 'AKIAADMIN00000000001', secretAccessKey: 'admin-secret' };
const NO_SSM: EmulatorCredentials = { accessKeyId: 'AKIANOSSM00000000001', secretAccessKey: 'x' };
const NO_PASSROLE: EmulatorCredentials = { accessKeyId: 'AKIANOPASS0000000001', secretAccessKey: 'x' };
const NO_REGISTER_IN_OREGON: EmulatorCredentials = { accessKeyId: 'AKIANOREGOREGON00001', secretAccessKey: 'x' };

const SEED: Seed = {
  accountId: ACCOUNT,
  identities: [
    { accessKeyId: ADMIN.accessKeyId, secretAccessKey: ADMIN.secretAccessKey, arn: `arn:aws:iam::${ACCOUNT}:user/alice` },
    { accessKeyId: NO_SSM.accessKeyId, arn: `arn:aws:iam::${ACCOUNT}:user/bob`, deny: [{ action: 'ssm:CreateActivation' }] },
    { accessKeyId: NO_PASSROLE.accessKeyId, arn: `arn:aws:iam::${ACCOUNT}:user/carol`, deny: [{ action: 'iam:PassRole' }] },
    { accessKeyId: NO_REGISTER_IN_OREGON.accessKeyId, arn: `arn:aws:iam::${ACCOUNT}:user/dave`, deny: [{ action: 'eks:Register*', regions: ['us-west-2'] }] },
  ],
  regions: {
    'us-west-2': { connectedClusterQuota: 3, clusters: [{ name: 'prod', version: '1.31' }] },
  },
  iam: { roles: [{ name: 'AmazonEKSConnectorAgentRole', trustService: 'ssm.amazonaws.com' }] },
};

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('emulator: EKS RegisterCluster', function () {
  let emulator: RunningEmulator;
  let control: EmulatorControl;

  const eks = (region = 'us-west-2', credentials = ADMIN): EKSClient => new EKSClient(emulatorClientConfig(emulator.url, { region, credentials, maxAttempts: 1 }));
  const register = (input: Partial<RegisterClusterCommandInput> & { name: string }, client = eks()) => client.send(new RegisterClusterCommand({
    connectorConfig: { provider: 'OTHER', roleArn: AGENT_ROLE },
    ...input,
  } as RegisterClusterCommandInput));


  before(async () => {
    emulator = await startEmulator({ seed: SEED });
    control = new EmulatorControl(emulator.url);
  });
  after(() => emulator.close());
  beforeEach(() => control.loadSeed(SEED));

  it('returns a PENDING cluster with a fresh activation that expires 72 h after creation', async () => {
    const { cluster } = await register({ name: 'edge-1', connectorConfig: { provider: 'RANCHER', roleArn: AGENT_ROLE }, tags: { team: 'platform' } });
    assert.ok(cluster?.connectorConfig);
    assert.equal(cluster.status, 'PENDING');
    assert.equal(cluster.arn, `arn:aws:eks:us-west-2:${ACCOUNT}:cluster/edge-1`);
    assert.deepEqual(cluster.tags, { team: 'platform' });
    assert.match(cluster.connectorConfig.activationId ?? '', UUID_V4);
    assert.ok((cluster.connectorConfig.activationCode ?? '').length >= 20);
    assert.equal(cluster.connectorConfig.activationExpiry!.getTime() - cluster.createdAt!.getTime(), 72 * 3600 * 1000);
    assert.equal(cluster.connectorConfig.provider, 'RANCHER');
    assert.equal(cluster.connectorConfig.roleArn, AGENT_ROLE);
    assert.equal(cluster.endpoint, undefined);

    const second = await register({ name: 'edge-2' });
    assert.notEqual(second.cluster?.connectorConfig?.activationId, cluster.connectorConfig.activationId);
    assert.notEqual(second.cluster?.connectorConfig?.activationCode, cluster.connectorConfig.activationCode);
  });

  it('creates the matching SSM activation (IamRole = role name, limit 2)', async () => {
    const { cluster } = await register({ name: 'edge-ssm' });
    const ssm = new SSMClient(emulatorClientConfig(emulator.url, { credentials: ADMIN }));
    const { ActivationList } = await ssm.send(new DescribeActivationsCommand({ Filters: [{ FilterKey: 'ActivationIds', FilterValues: [cluster!.connectorConfig!.activationId!] }] }));
    assert.equal(ActivationList?.length, 1);
    const [activation] = ActivationList!;
    assert.equal(activation.IamRole, 'AmazonEKSConnectorAgentRole');
    assert.equal(activation.RegistrationLimit, 2);
    assert.equal(activation.RegistrationsCount, 0);
    assert.equal(activation.Expired, false);
    assert.equal(activation.ExpirationDate?.getTime(), cluster!.connectorConfig!.activationExpiry!.getTime());
  });

  for (const [label, name, constraint] of [
    ['empty', '', 'length greater than or equal to 1'],
    ['101 characters', `a${'b'.repeat(100)}`, 'length less than or equal to 100'],
    ['starting with a hyphen', '-edge', 'regular expression pattern'],
    ['containing a space', 'edge one', 'regular expression pattern'],
    ['containing a dot', 'edge.one', 'regular expression pattern'],
  ] as const) {
    it(`refuses a name ${label} with InvalidParameterException naming the field`, async () => {
      const error = await rejection(register({ name }));
      assert.ok(error instanceof InvalidParameterException, `${error.name}: ${error.message}`);
      assert.equal(error.$metadata.httpStatusCode, 400);
      assert.match(error.message, /at 'name'/);
      assert.ok(error.message.includes(constraint), error.message);
    });
  }

  it('accepts a 100-character name of letters, digits, - and _', async () => {
    const name = `A1${'-_x'.repeat(32)}zz`;
    assert.equal(name.length, 100);
    const { cluster } = await register({ name });
    assert.equal(cluster?.name, name);
  });

  for (const provider of ['rancher', 'KUBERNETES', '']) {
    it(`refuses provider ${JSON.stringify(provider)} (exact enum only)`, async () => {
      const error = await rejection(register({ name: 'edge-p', connectorConfig: { provider: provider as 'OTHER', roleArn: AGENT_ROLE } }));
      assert.ok(error instanceof InvalidParameterException, error.name);
      assert.match(error.message, /connectorConfig\.provider/);
      assert.match(error.message, /EKS_ANYWHERE, ANTHOS, GKE, AKS, OPENSHIFT, TANZU, RANCHER, EC2, OTHER/);
    });
  }

  for (const roleArn of ['not-an-arn', 'arn:aws:iam::1234:role/short-account', 'arn:aws-mars:iam::111122223333:role/R', `arn:aws:iam::${ACCOUNT}:user/alice`, `arn:aws:iam::${ACCOUNT}:role/`]) {
    it(`refuses roleArn ${roleArn}`, async () => {
      const error = await rejection(register({ name: 'edge-r', connectorConfig: { provider: 'OTHER', roleArn } }));
      assert.ok(error instanceof InvalidParameterException, error.name);
      assert.match(error.message, /roleArn/);
    });
  }

  const tagCases: [string, Record<string, string>, RegExp][] = [
    ['51 tags', Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])), /less than or equal to 50/],
    ['an empty tag map', {}, /greater than or equal to 1/],
    ['a 129-character key', { ['k'.repeat(129)]: 'v' }, /128/],
    ['a 257-character value', { key: 'v'.repeat(257) }, /256/],
    ['a key starting with aws:', { 'aws:owner': 'me' }, /aws:/],
  ];
  for (const [label, tags, expected] of tagCases) {
    it(`refuses ${label}`, async () => {
      const error = await rejection(register({ name: 'edge-t', tags }));
      assert.ok(error instanceof InvalidParameterException, error.name);
      assert.match(error.message, expected);
    });
  }

  it('accepts 50 tags with 128-character keys and 256-character values', async () => {
    const tags = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`${String(i).padStart(2, '0')}${'k'.repeat(126)}`, 'v'.repeat(256)]));
    const { cluster } = await register({ name: 'edge-tags', tags });
    assert.equal(Object.keys(cluster?.tags ?? {}).length, 50);
  });

  it('refuses a name already used by an EKS cluster or a connected cluster with 409 ResourceInUseException', async () => {
    const eksConflict = await rejection(register({ name: 'prod' }));
    assert.ok(eksConflict instanceof ResourceInUseException, eksConflict.name);
    assert.equal(eksConflict.$metadata.httpStatusCode, 409);
    assert.equal(eksConflict.clusterName, 'prod');
    await register({ name: 'edge-dup' });
    const connectedConflict = await rejection(register({ name: 'edge-dup' }));
    assert.ok(connectedConflict instanceof ResourceInUseException);
    // The same name in another region is a different cluster.
    const { cluster } = await register({ name: 'edge-dup' }, eks('eu-west-1'));
    assert.equal(cluster?.arn, `arn:aws:eks:eu-west-1:${ACCOUNT}:cluster/edge-dup`);
  });

  it('enforces the seeded per-region quota of connected clusters', async () => {
    for (const name of ['q1', 'q2', 'q3']) await register({ name });
    const error = await rejection(register({ name: 'q4' }));
    assert.ok(error instanceof ResourceLimitExceededException, error.name);
    assert.equal(error.$metadata.httpStatusCode, 400);
  });

  it('enforces the default quota of 10 connected clusters per region', async () => {
    const client = eks('eu-central-1');
    for (let i = 0; i < 10; i++) await register({ name: `c${i}` }, client);
    const error = await rejection(register({ name: 'c10' }, client));
    assert.ok(error instanceof ResourceLimitExceededException, error.name);
  });

  for (const region of ['cn-north-1', 'us-gov-west-1']) {
    it(`is not available in ${region}`, async () => {
      const error = await rejection(register({ name: 'edge-x' }, eks(region)));
      assert.ok(error instanceof InvalidRequestException, error.name);
      assert.match(error.message, /not available in region/);
      assert.ok(error.message.includes(region));
    });
  }

  it('is idempotent on clientRequestToken: same input returns the same cluster and activation', async () => {
    const token = 'b6f3a1e2-6a3c-4d9b-9c1e-0f6a0d4e5b71';
    const first = await register({ name: 'edge-idem', clientRequestToken: token, tags: { a: '1' } });
    const again = await register({ name: 'edge-idem', clientRequestToken: token, tags: { a: '1' } });
    assert.equal(again.cluster?.connectorConfig?.activationId, first.cluster?.connectorConfig?.activationId);
    assert.equal(again.cluster?.connectorConfig?.activationCode, first.cluster?.connectorConfig?.activationCode);
    const mismatch = await rejection(register({ name: 'edge-idem', clientRequestToken: token, tags: { a: '2' } }));
    assert.ok(mismatch instanceof InvalidRequestException, mismatch.name);
    assert.match(mismatch.message, /idempotent parameter mismatch/);
  });

  it('gets a distinct token auto-filled by the SDK when none is given', async () => {
    await register({ name: 'edge-auto' });
    const error = await rejection(register({ name: 'edge-auto' }));
    assert.ok(error instanceof ResourceInUseException, 'a second call without a token is a new request, not a replay');
    const { state } = await control.getState();
    const tokens = Object.keys(state.accounts[ACCOUNT].regions['us-west-2'].idempotency).map((key) => key.split(':').pop());
    assert.ok(tokens.some((token) => UUID_V4.test(token ?? '')), `tokens: ${tokens.join(', ')}`);
  });

  it('needs ssm:CreateActivation: a deny fails with AccessDeniedException naming the action', async () => {
    const error = await rejection(register({ name: 'edge-deny' }, eks('us-west-2', NO_SSM)));
    assert.equal(error.name, 'AccessDeniedException');
    assert.equal(error.$metadata.httpStatusCode, 403);
    assert.match(error.message, new RegExp(`^User: arn:aws:iam::${ACCOUNT}:user/bob is not authorized to perform: ssm:CreateActivation on resource: `));
    const missing = await rejection(eks().send(new DescribeClusterCommand({ name: 'edge-deny' })));
    assert.ok(missing instanceof ResourceNotFoundException, 'nothing is created when the call is denied');
  });

  it('needs iam:PassRole on the agent role', async () => {
    const error = await rejection(register({ name: 'edge-pass' }, eks('us-west-2', NO_PASSROLE)));
    assert.equal(error.name, 'AccessDeniedException');
    assert.equal(error.message, `User: arn:aws:iam::${ACCOUNT}:user/carol is not authorized to perform: iam:PassRole on resource: ${AGENT_ROLE} with an explicit deny in an identity-based policy`);
  });

  it('applies a region-scoped deny only in that region', async () => {
    const denied = await rejection(register({ name: 'edge-reg' }, eks('us-west-2', NO_REGISTER_IN_OREGON)));
    assert.equal(denied.name, 'AccessDeniedException');
    assert.match(denied.message, /eks:RegisterCluster on resource: arn:aws:eks:us-west-2:111122223333:cluster\/edge-reg/);
    const { cluster } = await register({ name: 'edge-reg' }, eks('eu-west-1', NO_REGISTER_IN_OREGON));
    assert.equal(cluster?.status, 'PENDING');
  });

  it('refuses a role the declared IAM does not have, like the real "Not existing role" error, until it is created', async () => {
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/NewAgentRole`;
    const error = await rejection(register({ name: 'edge-role', connectorConfig: { provider: 'OTHER', roleArn } }));
    assert.ok(error instanceof InvalidRequestException, error.name);
    assert.equal(error.message, `Not existing role: ${roleArn}`);
    const iam = new IAMClient(emulatorClientConfig(emulator.url, { region: 'us-east-1', credentials: ADMIN }));
    await iam.send(new CreateRoleCommand({
      RoleName: 'NewAgentRole',
      AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ssm.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
    }));
    const { cluster } = await register({ name: 'edge-role', connectorConfig: { provider: 'OTHER', roleArn } });
    assert.equal(cluster?.connectorConfig?.roleArn, roleArn);
  });

  it('accepts any well-formed role ARN when the seed declares no IAM', async () => {
    await control.loadSeed({ accountId: ACCOUNT });
    const roleArn = 'arn:aws:iam::999988887777:role/path/to/SomeRole';
    const { cluster } = await register({ name: 'edge-any', connectorConfig: { provider: 'EKS_ANYWHERE', roleArn } });
    assert.equal(cluster?.connectorConfig?.roleArn, roleArn);
  });
});

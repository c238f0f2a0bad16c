// STS and IAM (awsQuery) through the real SDK clients: caller identities, AssumeRole sessions that act as the
// assumed role, per-account state, and the role APIs with their real error codes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromIni } from '@aws-sdk/credential-providers';
import { EKSClient, ListClustersCommand, RegisterClusterCommand } from '@aws-sdk/client-eks';
import {
  CreateRoleCommand, DeleteConflictException, DeleteRoleCommand, DeleteRolePolicyCommand, EntityAlreadyExistsException, GetRoleCommand,
  GetRolePolicyCommand, IAMClient, ListRolePoliciesCommand, ListRolesCommand, MalformedPolicyDocumentException, NoSuchEntityException,
  PutRolePolicyCommand, TagRoleCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { emulatorClientConfig, type EmulatorCredentials } from '../../emulator/src/client-config';
import { EmulatorControl } from '../../emulator/src/control-client';
import type { Seed } from '../../emulator/src/seed';
import { startEmulator, type RunningEmulator } from '../../emulator/src/server';

const ACCOUNT = '123456789012';
const OTHER_ACCOUNT = '210987654321';
const ALICE: EmulatorCredentials = { accessKeyId: 'AKIAALICE00000000001', secretAccessKey: 'alice-secret' };
const LOCKED: EmulatorCredentials = { accessKeyId: 'AKIALOCKED0000000001', secretAccessKey: 'x' };
const OUTSIDER: EmulatorCredentials = { accessKeyId: 'AKIAOUTSIDER00000001', secretAccessKey: 'x' };
const TRUST_ACCOUNT = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }] };
const TRUST_SSM = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ssm.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
const AGENT_POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ssmmessages:CreateControlChannel'], Resource: 'arn:aws:eks:*:*:cluster/*' }] });

const SEED: Seed = {
  accountId: ACCOUNT,
  identities: [
    { accessKeyId: ALICE.accessKeyId, secretAccessKey: ALICE.secretAccessKey, arn: `arn:aws:iam::${ACCOUNT}:user/alice` },
    { accessKeyId: LOCKED.accessKeyId, arn: `arn:aws:iam::${ACCOUNT}:user/locked`, deny: [{ action: '*' }] },
    { accessKeyId: OUTSIDER.accessKeyId, arn: `arn:aws:iam::${OTHER_ACCOUNT}:user/olga` },
    { accessKeyId: 'AKIAROLEDENY00000001', arn: `arn:aws:iam::${ACCOUNT}:role/Admin`, deny: [{ action: 'eks:ListClusters' }] },
  ],
  regions: { 'us-west-2': { clusters: [{ name: 'prod' }] } },
  iam: {
    roles: [
      { name: 'Admin', assumeRolePolicyDocument: TRUST_ACCOUNT, maxSessionDuration: 7200 },
      { name: 'Viewer', path: '/team/', assumeRolePolicyDocument: TRUST_ACCOUNT },
      { name: 'AmazonEKSConnectorAgentRole', trustService: 'ssm.amazonaws.com', inlinePolicies: { agent: AGENT_POLICY } },
    ],
  },
};

describe('emulator: STS and IAM', function () {
  let emulator: RunningEmulator;
  let control: EmulatorControl;

  const sts = (credentials: EmulatorCredentials = ALICE) => new STSClient(emulatorClientConfig(emulator.url, { region: 'us-west-2', credentials, maxAttempts: 1 }));
  const iam = (credentials: EmulatorCredentials = ALICE) => new IAMClient(emulatorClientConfig(emulator.url, { region: 'us-east-1', credentials, maxAttempts: 1 }));
  const eks = (credentials: EmulatorCredentials = ALICE) => new EKSClient(emulatorClientConfig(emulator.url, { region: 'us-west-2', credentials, maxAttempts: 1 }));

  async function rejection(promise: Promise<unknown>): Promise<Error & { $metadata: { httpStatusCode?: number; requestId?: string } }> {
    try {
      await promise;
    } catch (error) {
      return error as Error & { $metadata: { httpStatusCode?: number; requestId?: string } };
    }
    assert.fail('expected the call to fail');
  }

  async function assume(roleArn: string, session = 'dev-session'): Promise<EmulatorCredentials> {
    const { Credentials } = await sts().send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: session }));
    return { accessKeyId: Credentials!.AccessKeyId!, secretAccessKey: Credentials!.SecretAccessKey!, sessionToken: Credentials!.SessionToken! };
  }

  before(async () => {
    emulator = await startEmulator({ seed: SEED });
    control = new EmulatorControl(emulator.url);
  });
  after(() => emulator.close());
  beforeEach(() => control.loadSeed(SEED));

  it('identifies a seed identity, and an unknown key as the default administrator', async () => {
    const alice = await sts().send(new GetCallerIdentityCommand({}));
    assert.equal(alice.Arn, `arn:aws:iam::${ACCOUNT}:user/alice`);
    assert.equal(alice.Account, ACCOUNT);
    assert.match(alice.UserId ?? '', /^AIDA[A-Z0-9]{17}$/);
    const stranger = await sts({ accessKeyId: 'AKIASTRANGER00000001', secretAccessKey: 'anything' }).send(new GetCallerIdentityCommand({}));
    assert.equal(stranger.Arn, `arn:aws:iam::${ACCOUNT}:user/admin`);
  });

  it('answers GetCallerIdentity even for an identity denied everything', async () => {
    const locked = await sts(LOCKED).send(new GetCallerIdentityCommand({}));
    assert.equal(locked.Arn, `arn:aws:iam::${ACCOUNT}:user/locked`);
    const denied = await rejection(eks(LOCKED).send(new ListClustersCommand({})));
    assert.equal(denied.name, 'AccessDeniedException');
  });

  it('issues temporary credentials from AssumeRole that act as the assumed role', async () => {
    const { Credentials, AssumedRoleUser } = await sts().send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/Admin`, RoleSessionName: 'alice@laptop', DurationSeconds: 3600 }));
    assert.match(Credentials?.AccessKeyId ?? '', /^ASIA[A-Z2-7]{16}$/);
    assert.ok((Credentials?.SecretAccessKey ?? '').length >= 40);
    assert.ok((Credentials?.SessionToken ?? '').length > 100);
    const lifetime = Credentials!.Expiration!.getTime() - Date.now();
    assert.ok(lifetime > 3590_000 && lifetime <= 3600_000, `expires in ${lifetime} ms`);
    assert.equal(AssumedRoleUser?.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/alice@laptop`);

    const session = { accessKeyId: Credentials!.AccessKeyId!, secretAccessKey: Credentials!.SecretAccessKey!, sessionToken: Credentials!.SessionToken! };
    const identity = await sts(session).send(new GetCallerIdentityCommand({}));
    assert.equal(identity.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/alice@laptop`);
    assert.equal(identity.UserId, AssumedRoleUser?.AssumedRoleId);
    assert.match(identity.UserId ?? '', /^AROA[A-Z0-9]{17}:alice@laptop$/);
  });

  it('serves a role_arn + source_profile profile through the SDK\'s own credential chain', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'aws-emulator-profile-'));
    try {
      const credentialsFile = join(directory, 'credentials');
      const configFile = join(directory, 'config');
      writeFileSync(credentialsFile, `[base]\naws_access_key_id = ${ALICE.accessKeyId}\naws_secret_access_key = ${ALICE.secretAccessKey}\n`);
      writeFileSync(configFile, `[profile admin]\nrole_arn = arn:aws:iam::${ACCOUNT}:role/team/Viewer\nsource_profile = base\nrole_session_name = from-profile\nregion = us-west-2\n`);
      const credentials = fromIni({ profile: 'admin', filepath: credentialsFile, configFilepath: configFile, clientConfig: { endpoint: emulator.url, region: 'us-west-2' } });
      const client = new STSClient({ endpoint: emulator.url, region: 'us-west-2', credentials });
      const identity = await client.send(new GetCallerIdentityCommand({}));
      assert.equal(identity.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/Viewer/from-profile`);
      const eksClient = new EKSClient({ endpoint: emulator.url, region: 'us-west-2', credentials });
      assert.deepEqual((await eksClient.send(new ListClustersCommand({}))).clusters, ['prod']);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('applies seed denies declared on a role ARN to its sessions', async () => {
    const session = await assume(`arn:aws:iam::${ACCOUNT}:role/Admin`);
    const denied = await rejection(eks(session).send(new ListClustersCommand({})));
    assert.equal(denied.name, 'AccessDeniedException');
    assert.match(denied.message, new RegExp(`^User: arn:aws:sts::${ACCOUNT}:assumed-role/Admin/dev-session is not authorized to perform: eks:ListClusters`));
    const viewer = await assume(`arn:aws:iam::${ACCOUNT}:role/team/Viewer`);
    assert.deepEqual((await eks(viewer).send(new ListClustersCommand({}))).clusters, ['prod']);
  });

  it('refuses session credentials with a wrong or missing token, or a wrong secret', async () => {
    const session = await assume(`arn:aws:iam::${ACCOUNT}:role/Admin`);
    const noToken = await rejection(sts({ accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey }).send(new GetCallerIdentityCommand({})));
    assert.equal(noToken.name, 'InvalidClientTokenId');
    assert.equal(noToken.$metadata.httpStatusCode, 403);
    const wrongSecret = await rejection(sts({ ...session, secretAccessKey: 'wrong' }).send(new GetCallerIdentityCommand({})));
    assert.equal(wrongSecret.name, 'SignatureDoesNotMatch');
  });

  it('refuses AssumeRole of a missing role, an untrusting role or a wrong path with AccessDenied', async () => {
    for (const roleArn of [`arn:aws:iam::${ACCOUNT}:role/Nope`, `arn:aws:iam::${ACCOUNT}:role/AmazonEKSConnectorAgentRole`, `arn:aws:iam::${ACCOUNT}:role/Viewer`]) {
      const error = await rejection(sts().send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 's' + 'x' })));
      assert.equal(error.name, 'AccessDenied', roleArn);
      assert.equal(error.$metadata.httpStatusCode, 403);
      assert.equal(error.message, `User: arn:aws:iam::${ACCOUNT}:user/alice is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
    }
  });

  it('validates AssumeRole duration and session name', async () => {
    const tooLong = await rejection(sts().send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/team/Viewer`, RoleSessionName: 'ok', DurationSeconds: 7200 })));
    assert.equal(tooLong.name, 'ValidationError');
    assert.match(tooLong.message, /MaxSessionDuration/);
    const badName = await rejection(sts().send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/Admin`, RoleSessionName: 'has space' })));
    assert.equal(badName.name, 'ValidationError');
    const { Credentials } = await sts().send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/Admin`, RoleSessionName: 'ok', DurationSeconds: 7200 }));
    assert.ok(Credentials?.AccessKeyId);
  });

  it('keeps state per account: an identity of another account sees its own clusters and roles', async () => {
    assert.deepEqual((await eks(OUTSIDER).send(new ListClustersCommand({ include: ['all'] }))).clusters, []);
    const agentRole = `arn:aws:iam::${OTHER_ACCOUNT}:role/Agent`;
    const noRole = await rejection(eks(OUTSIDER).send(new RegisterClusterCommand({ name: 'olgas', connectorConfig: { provider: 'OTHER', roleArn: agentRole } })));
    assert.equal(noRole.message, `Not existing role: ${agentRole}`, 'the seeded roles belong to the default account only');
    const { Role } = await iam(OUTSIDER).send(new CreateRoleCommand({ RoleName: 'Agent', AssumeRolePolicyDocument: TRUST_SSM }));
    assert.equal(Role?.Arn, agentRole);
    await eks(OUTSIDER).send(new RegisterClusterCommand({ name: 'olgas', connectorConfig: { provider: 'OTHER', roleArn: agentRole } }));
    assert.deepEqual((await eks(OUTSIDER).send(new ListClustersCommand({ include: ['all'] }))).clusters, ['olgas']);
    assert.deepEqual((await eks().send(new ListClustersCommand({ include: ['all'] }))).clusters, ['prod']);
    assert.equal((await iam().send(new ListRolesCommand({}))).Roles?.some((role) => role.RoleName === 'Agent'), false);
    assert.equal((await sts(OUTSIDER).send(new GetCallerIdentityCommand({}))).Account, OTHER_ACCOUNT);
  });

  it('creates a role from a policy document and returns it URL-encoded, like IAM', async () => {
    const document = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'EKSConnectorAccess', Effect: 'Allow', Principal: { Service: ['ssm.amazonaws.com'] }, Action: 'sts:AssumeRole' }] });
    const { Role } = await iam().send(new CreateRoleCommand({ RoleName: 'eksctl-20260101', Path: '/connector/', AssumeRolePolicyDocument: document, Description: 'agent', Tags: [{ Key: 'alpha.eksctl.io/cluster-name', Value: 'edge' }] }));
    assert.equal(Role?.Arn, `arn:aws:iam::${ACCOUNT}:role/connector/eksctl-20260101`);
    assert.match(Role?.RoleId ?? '', /^AROA[A-Z0-9]{17}$/);
    const fetched = await iam().send(new GetRoleCommand({ RoleName: 'eksctl-20260101' }));
    assert.equal(fetched.Role?.AssumeRolePolicyDocument, encodeURIComponent(document));
    assert.deepEqual(JSON.parse(decodeURIComponent(fetched.Role!.AssumeRolePolicyDocument!)), JSON.parse(document));
    assert.deepEqual(fetched.Role?.Tags, [{ Key: 'alpha.eksctl.io/cluster-name', Value: 'edge' }]);
    assert.equal(fetched.Role?.Path, '/connector/');
    assert.ok(fetched.Role?.CreateDate instanceof Date);
  });

  it('refuses a duplicate role (case-insensitively) with 409 EntityAlreadyExists', async () => {
    const error = await rejection(iam().send(new CreateRoleCommand({ RoleName: 'admin', AssumeRolePolicyDocument: TRUST_SSM })));
    assert.ok(error instanceof EntityAlreadyExistsException, error.name);
    assert.equal(error.$metadata.httpStatusCode, 409);
    assert.equal(error.message, 'Role with name admin already exists.');
  });

  it('validates role names and policy documents', async () => {
    for (const RoleName of ['has space', 'x'.repeat(65), 'slash/name']) {
      const error = await rejection(iam().send(new CreateRoleCommand({ RoleName, AssumeRolePolicyDocument: TRUST_SSM })));
      assert.equal(error.name, 'ValidationError', RoleName);
      assert.equal(error.$metadata.httpStatusCode, 400);
    }
    const malformed = await rejection(iam().send(new CreateRoleCommand({ RoleName: 'Bad', AssumeRolePolicyDocument: '{not json' })));
    assert.ok(malformed instanceof MalformedPolicyDocumentException, malformed.name);
  });

  it('lists roles with MaxItems/Marker paging and PathPrefix', async () => {
    const all = await iam().send(new ListRolesCommand({}));
    assert.deepEqual(all.Roles?.map((role) => role.RoleName), ['Admin', 'AmazonEKSConnectorAgentRole', 'Viewer']);
    assert.equal(all.IsTruncated, false);
    const names: string[] = [];
    let Marker: string | undefined;
    do {
      const page = await iam().send(new ListRolesCommand({ MaxItems: 2, Marker }));
      names.push(...(page.Roles ?? []).map((role) => role.RoleName!));
      assert.equal(page.IsTruncated, page.Marker !== undefined);
      Marker = page.Marker;
    } while (Marker);
    assert.deepEqual(names, ['Admin', 'AmazonEKSConnectorAgentRole', 'Viewer']);
    assert.deepEqual((await iam().send(new ListRolesCommand({ PathPrefix: '/team/' }))).Roles?.map((role) => role.Arn), [`arn:aws:iam::${ACCOUNT}:role/team/Viewer`]);
  });

  it('puts, gets, lists and deletes inline policies; DeleteRole conflicts while any remain', async () => {
    await iam().send(new PutRolePolicyCommand({ RoleName: 'Viewer', PolicyName: 'read', PolicyDocument: AGENT_POLICY }));
    const got = await iam().send(new GetRolePolicyCommand({ RoleName: 'Viewer', PolicyName: 'read' }));
    assert.equal(decodeURIComponent(got.PolicyDocument!), AGENT_POLICY);
    assert.deepEqual((await iam().send(new ListRolePoliciesCommand({ RoleName: 'AmazonEKSConnectorAgentRole' }))).PolicyNames, ['agent']);
    assert.deepEqual((await iam().send(new ListRolePoliciesCommand({ RoleName: 'Viewer' }))).PolicyNames, ['read']);

    const conflict = await rejection(iam().send(new DeleteRoleCommand({ RoleName: 'Viewer' })));
    assert.ok(conflict instanceof DeleteConflictException, conflict.name);
    assert.equal(conflict.$metadata.httpStatusCode, 409);
    await iam().send(new DeleteRolePolicyCommand({ RoleName: 'Viewer', PolicyName: 'read' }));
    await iam().send(new DeleteRoleCommand({ RoleName: 'Viewer' }));
    const gone = await rejection(iam().send(new GetRoleCommand({ RoleName: 'Viewer' })));
    assert.ok(gone instanceof NoSuchEntityException, gone.name);
    assert.equal(gone.$metadata.httpStatusCode, 404);
    assert.equal(gone.message, 'The role with name Viewer cannot be found.');
  });

  it('answers missing roles and policies with NoSuchEntity', async () => {
    for (const call of [
      iam().send(new PutRolePolicyCommand({ RoleName: 'Ghost', PolicyName: 'p', PolicyDocument: AGENT_POLICY })),
      iam().send(new GetRolePolicyCommand({ RoleName: 'Admin', PolicyName: 'missing' })),
      iam().send(new DeleteRolePolicyCommand({ RoleName: 'Admin', PolicyName: 'missing' })),
      iam().send(new DeleteRoleCommand({ RoleName: 'Ghost' })),
      iam().send(new TagRoleCommand({ RoleName: 'Ghost', Tags: [{ Key: 'a', Value: 'b' }] })),
    ]) {
      const error = await rejection(call);
      assert.ok(error instanceof NoSuchEntityException, error.name);
    }
    const policy = await rejection(iam().send(new GetRolePolicyCommand({ RoleName: 'Admin', PolicyName: 'missing' })));
    assert.equal(policy.message, 'The role policy with name missing cannot be found.');
  });

  it('tags a role, merging with its existing tags', async () => {
    await iam().send(new TagRoleCommand({ RoleName: 'Admin', Tags: [{ Key: 'a', Value: '1' }] }));
    await iam().send(new TagRoleCommand({ RoleName: 'Admin', Tags: [{ Key: 'b', Value: '2' }, { Key: 'a', Value: '3' }] }));
    assert.deepEqual((await iam().send(new GetRoleCommand({ RoleName: 'Admin' }))).Role?.Tags, [{ Key: 'a', Value: '3' }, { Key: 'b', Value: '2' }]);
  });

  it('denies IAM and STS calls with 403 AccessDenied in the real wording', async () => {
    const iamDenied = await rejection(iam(LOCKED).send(new GetRoleCommand({ RoleName: 'Admin' })));
    assert.equal(iamDenied.name, 'AccessDenied');
    assert.equal(iamDenied.$metadata.httpStatusCode, 403);
    assert.match(iamDenied.message, new RegExp(`^User: arn:aws:iam::${ACCOUNT}:user/locked is not authorized to perform: iam:GetRole on resource: arn:aws:iam::${ACCOUNT}:role/Admin`));
    assert.match(iamDenied.$metadata.requestId ?? '', /^[0-9a-f-]{36}$/);
    const stsDenied = await rejection(sts(LOCKED).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/Admin`, RoleSessionName: 'x1' })));
    assert.equal(stsDenied.name, 'AccessDenied');
  });
});

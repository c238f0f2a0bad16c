// The connector agent role service against the emulator's IAM, through the real SDK.
import assert from 'node:assert/strict';
import { startEmulator, type RunningEmulator } from '../../emulator/src/server';
import { AwsSession } from '../../src/core/aws/session';
import { CreateRoleCommand, IAMClient, ListRoleTagsCommand } from '@aws-sdk/client-iam';
import { emulatorClientConfig } from '../../emulator/src/client-config';
import { AgentRoleService, agentPolicy, trustsSsm } from '../../src/core/connector/agentRole';

describe('agent role service (against the emulator IAM)', function () {
  this.timeout(30_000);
  let emulator: RunningEmulator;
  let session: AwsSession;
  const iam = () => new IAMClient(emulatorClientConfig(emulator.url, { region: 'us-east-1', credentials: { accessKeyId: 'AKIAROLEADMIN0000001', secretAccessKey: 'x' } }));
  const savedEnv = { ...process.env };

  before(async () => {
    emulator = await startEmulator({
      seed: {
        accountId: '123456789012',
        identities: [
          { accessKeyId: 'AKIAROLEADMIN0000001', arn: 'arn:aws:iam::123456789012:user/admin' },
          { accessKeyId: 'AKIAROLENOPUT0000001', arn: 'arn:aws:iam::123456789012:user/limited', deny: [{ action: 'iam:PutRolePolicy' }] },
        ],
        iam: {
          roles: [
            { name: 'AmazonEKSConnectorAgentRole', trustService: 'ssm.amazonaws.com' },
            { name: 'LambdaExecution', trustService: 'lambda.amazonaws.com' },
            { name: 'PlatformConnectorAgent', path: '/platform/', trustService: 'ssm.amazonaws.com' },
          ],
        },
      },
    });
    Object.assign(process.env, { AWS_ENDPOINT_URL: emulator.url, AWS_ACCESS_KEY_ID: 'AKIAROLEADMIN0000001', AWS_SECRET_ACCESS_KEY: 'x', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' });
    session = new AwsSession();
  });
  after(async () => {
    session?.dispose();
    await emulator?.close();
    process.env = savedEnv;
  });

  it('lists only roles that trust ssm.amazonaws.com, the default name first', async () => {
    const roles = await new AgentRoleService(session).listCandidates('us-west-2');
    assert.deepEqual(roles.map((r) => r.name), ['AmazonEKSConnectorAgentRole', 'PlatformConnectorAgent']);
    assert.equal(roles[1].arn, 'arn:aws:iam::123456789012:role/platform/PlatformConnectorAgent');
  });

  it('creates a role with the documented trust and policy, tagged for the cluster, and deletes only its own', async () => {
    const service = new AgentRoleService(session);
    const role = await service.create('ConnectorAgentForEdge', { region: 'us-west-2', name: 'edge' });
    assert.equal(role.arn, 'arn:aws:iam::123456789012:role/ConnectorAgentForEdge');
    assert.equal(role.createdForCluster, 'us-west-2/edge');
    // What an administrator sees on the role in IAM: which tool made it, for which cluster.
    const tags = await iam().send(new ListRoleTagsCommand({ RoleName: 'ConnectorAgentForEdge' }));
    assert.deepEqual(tags.Tags, [{ Key: 'eks-connector-vscode/created-for', Value: 'us-west-2/edge' }]);
    const fetched = await service.get('ConnectorAgentForEdge', 'us-west-2');
    assert.equal(fetched.trustsSsm, true);
    assert.equal(await service.deleteIfCreatedFor(role.arn, { region: 'us-west-2', name: 'other' }), false, 'another cluster’s role is kept');
    assert.equal(await service.deleteIfCreatedFor('arn:aws:iam::123456789012:role/AmazonEKSConnectorAgentRole', { region: 'us-west-2', name: 'edge' }), false, 'a role we did not create is kept');
    assert.equal(await service.deleteIfCreatedFor(role.arn, { region: 'us-west-2', name: 'edge' }), true);
    await assert.rejects(service.get('ConnectorAgentForEdge', 'us-west-2'), { name: 'NoSuchEntityException' });
  });

  it('deletes a role an earlier version created, recognised by the tag it carries', async () => {
    await iam().send(new CreateRoleCommand({
      RoleName: 'AgentRoleFromEarlierVersion', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ssm.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
      Tags: [{ Key: 'eks-connector-vscode/created-for', Value: 'us-west-2/legacy' }],
    }));
    const service = new AgentRoleService(session);
    const arn = 'arn:aws:iam::123456789012:role/AgentRoleFromEarlierVersion';
    assert.equal(await service.deleteIfCreatedFor(arn, { region: 'us-west-2', name: 'legacy' }), true);
    await assert.rejects(service.get('AgentRoleFromEarlierVersion', 'us-west-2'), { name: 'NoSuchEntityException' });
  });

  it('leaves no role behind when the policy cannot be attached', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIAROLENOPUT0000001';
    const limited = new AwsSession();
    try {
      await assert.rejects(new AgentRoleService(limited).create('HalfMadeRole', { region: 'us-west-2', name: 'edge' }), /iam:PutRolePolicy/);
      await assert.rejects(new AgentRoleService(session).get('HalfMadeRole', 'us-west-2'), { name: 'NoSuchEntityException' });
    } finally {
      limited.dispose();
      process.env.AWS_ACCESS_KEY_ID = 'AKIAROLEADMIN0000001';
    }
  });

  it('reads trust policies in the shapes IAM returns them', () => {
    const doc = (statement: unknown) => encodeURIComponent(JSON.stringify({ Version: '2012-10-17', Statement: statement }));
    assert.equal(trustsSsm(doc({ Effect: 'Allow', Principal: { Service: ['ec2.amazonaws.com', 'ssm.amazonaws.com'] }, Action: ['sts:AssumeRole'] })), true);
    assert.equal(trustsSsm(doc([{ Effect: 'Deny', Principal: { Service: 'ssm.amazonaws.com' }, Action: 'sts:AssumeRole' }])), false);
    assert.equal(trustsSsm(doc({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::1:root' }, Action: 'sts:AssumeRole' })), false);
    assert.equal(trustsSsm('not json %'), false);
    assert.match(JSON.stringify(agentPolicy('cn-north-1')), /arn:aws-cn:eks/);
  });
});

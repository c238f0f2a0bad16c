// Authentication and authorization across the three protocols, through the real SDK clients: seed denies,
// missing signatures, unknown keys (strict identities), SigV4 verification, unknown operations and request ids.
import assert from 'node:assert/strict';
import {
  AccessDeniedException, DescribeClusterCommand, EKSClient, ListClustersCommand, ListTagsForResourceCommand, CreateClusterCommand,
  RegisterClusterCommand, TagResourceCommand,
} from '@aws-sdk/client-eks';
import { DescribeActivationsCommand, DescribeInstanceInformationCommand, SSMClient, SendCommandCommand } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, GetSessionTokenCommand, STSClient } from '@aws-sdk/client-sts';
import { IAMClient, ListRolesCommand, ListUsersCommand } from '@aws-sdk/client-iam';
import { emulatorClientConfig, type EmulatorCredentials } from '../../emulator/src/client-config';
import { EmulatorControl } from '../../emulator/src/control-client';
import type { Seed } from '../../emulator/src/seed';
import type { FinalizeRequestMiddleware } from '@smithy/types';
import { startEmulator, type RunningEmulator } from '../../emulator/src/server';
import { rejection } from '../support/rejection';

const ACCOUNT = '444455556666';
const SIGNED: EmulatorCredentials = { accessKeyId: 'AKIASIGNED0000000001', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const READ_ONLY: EmulatorCredentials = { accessKeyId: 'AKIAREADONLY00000001', secretAccessKey: 'x' };
const NO_EKS: EmulatorCredentials = { accessKeyId: 'AKIANOEKS00000000001', secretAccessKey: 'x' };

const SEED: Seed = {
  accountId: ACCOUNT,
  identities: [
    { accessKeyId: SIGNED.accessKeyId, secretAccessKey: SIGNED.secretAccessKey, arn: `arn:aws:iam::${ACCOUNT}:user/signer` },
    { accessKeyId: READ_ONLY.accessKeyId, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ReadOnly/ro-session`, deny: [{ action: 'ssm:DescribeInstanceInformation' }, { action: 'iam:*' }, { action: 'eks:RegisterCluster' }] },
    { accessKeyId: NO_EKS.accessKeyId, arn: `arn:aws:iam::${ACCOUNT}:user/noeks`, deny: [{ action: 'eks:*' }] },
  ],
  regions: { 'us-west-2': { clusters: [{ name: 'prod', tags: { a: 'b' } }] } },
};


describe('emulator: identities, signatures and protocol errors', function () {
  let emulator: RunningEmulator;
  let control: EmulatorControl;

  const config = (credentials: EmulatorCredentials, region = 'us-west-2') => emulatorClientConfig(emulator.url, { region, credentials, maxAttempts: 1 });


  /** A middleware that sends requests on without the Authorization header, as an unsigned caller's would leave. */
  function stripAuthorization<Input extends object, Output extends object>(): FinalizeRequestMiddleware<Input, Output> {
    return (next) => async (args) => {
      const request = args.request as { headers: Record<string, string> };
      delete request.headers.authorization;
      delete request.headers.Authorization;
      return next(args);
    };
  }
  const AFTER_SIGNING = { relation: 'after', toMiddleware: 'httpSigningMiddleware', name: 'stripAuthorization' } as const;

  before(async () => {
    emulator = await startEmulator({ seed: SEED });
    control = new EmulatorControl(emulator.url);
  });
  after(() => emulator.close());
  beforeEach(() => control.loadSeed(SEED));

  describe('seed denies', () => {
    it('answers EKS with 403 AccessDeniedException in the real wording', async () => {
      const error = await rejection(new EKSClient(config(NO_EKS)).send(new ListClustersCommand({})));
      assert.ok(error instanceof AccessDeniedException, error.name);
      assert.equal(error.$metadata.httpStatusCode, 403);
      assert.equal(error.message, `User: arn:aws:iam::${ACCOUNT}:user/noeks is not authorized to perform: eks:ListClusters on resource: arn:aws:eks:us-west-2:${ACCOUNT}:cluster/* with an explicit deny in an identity-based policy`);
      const describeError = await rejection(new EKSClient(config(NO_EKS)).send(new DescribeClusterCommand({ name: 'prod' })));
      assert.match(describeError.message, /eks:DescribeCluster on resource: arn:aws:eks:us-west-2:444455556666:cluster\/prod/);
    });

    it('answers SSM with 400 AccessDeniedException, and leaves undenied actions alone', async () => {
      const ssm = new SSMClient(config(READ_ONLY));
      const error = await rejection(ssm.send(new DescribeInstanceInformationCommand({})));
      assert.equal(error.name, 'AccessDeniedException');
      assert.equal(error.$metadata.httpStatusCode, 400);
      assert.equal(error.message, `User: arn:aws:sts::${ACCOUNT}:assumed-role/ReadOnly/ro-session is not authorized to perform: ssm:DescribeInstanceInformation on resource: arn:aws:ssm:us-west-2:${ACCOUNT}:* with an explicit deny in an identity-based policy`);
      assert.deepEqual((await ssm.send(new DescribeActivationsCommand({}))).ActivationList, []);
      assert.deepEqual((await new EKSClient(config(READ_ONLY)).send(new ListClustersCommand({}))).clusters, ['prod']);
    });

    it('answers IAM with 403 AccessDenied (XML) for a wildcard deny', async () => {
      const error = await rejection(new IAMClient(config(READ_ONLY, 'us-east-1')).send(new ListRolesCommand({})));
      assert.equal(error.name, 'AccessDenied');
      assert.equal(error.$metadata.httpStatusCode, 403);
      assert.match(error.message, /is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::444455556666:role\//);
    });
  });

  describe('missing or unknown credentials', () => {
    it('answers an unsigned EKS request with 403 MissingAuthenticationTokenException', async () => {
      const client = new EKSClient(config(SIGNED));
      client.middlewareStack.addRelativeTo(stripAuthorization(), AFTER_SIGNING);
      const error = await rejection(client.send(new ListClustersCommand({})));
      assert.equal(error.name, 'MissingAuthenticationTokenException');
      assert.equal(error.$metadata.httpStatusCode, 403);
      assert.equal(error.message, 'Missing Authentication Token');
    });

    it('answers an unsigned SSM request with 400 MissingAuthenticationTokenException', async () => {
      const client = new SSMClient(config(SIGNED));
      client.middlewareStack.addRelativeTo(stripAuthorization(), AFTER_SIGNING);
      const error = await rejection(client.send(new DescribeActivationsCommand({})));
      assert.equal(error.name, 'MissingAuthenticationTokenException');
      assert.equal(error.$metadata.httpStatusCode, 400);
    });

    it('answers an unsigned STS request with 403 MissingAuthenticationToken', async () => {
      const client = new STSClient(config(SIGNED));
      client.middlewareStack.addRelativeTo(stripAuthorization(), AFTER_SIGNING);
      const error = await rejection(client.send(new GetCallerIdentityCommand({})));
      assert.equal(error.name, 'MissingAuthenticationToken');
      assert.equal(error.$metadata.httpStatusCode, 403);
    });

    it('refuses unknown access keys once identities are strict, in each protocol\'s words', async () => {
      await control.loadSeed({ ...SEED, strictIdentities: true });
      const stranger: EmulatorCredentials = { accessKeyId: 'AKIASTRANGER00000001', secretAccessKey: 'x' };
      const eksError = await rejection(new EKSClient(config(stranger)).send(new ListClustersCommand({})));
      assert.equal(eksError.name, 'UnrecognizedClientException');
      assert.equal(eksError.$metadata.httpStatusCode, 403);
      assert.equal(eksError.message, 'The security token included in the request is invalid.');
      const ssmError = await rejection(new SSMClient(config(stranger)).send(new DescribeActivationsCommand({})));
      assert.equal(ssmError.name, 'UnrecognizedClientException');
      assert.equal(ssmError.$metadata.httpStatusCode, 400);
      const stsError = await rejection(new STSClient(config(stranger)).send(new GetCallerIdentityCommand({})));
      assert.equal(stsError.name, 'InvalidClientTokenId');
      assert.equal(stsError.$metadata.httpStatusCode, 403);
      // Seed identities still work under strict identities.
      assert.equal((await new STSClient(config(SIGNED)).send(new GetCallerIdentityCommand({}))).Account, ACCOUNT);
    });
  });

  describe('SigV4 verification', () => {
    const wrong: EmulatorCredentials = { accessKeyId: SIGNED.accessKeyId, secretAccessKey: 'not-the-secret' };

    it('accepts correctly signed requests with query strings, encoded path labels and bodies', async () => {
      const eks = new EKSClient(config(SIGNED));
      assert.deepEqual((await eks.send(new ListClustersCommand({ include: ['all'], maxResults: 7 }))).clusters, ['prod']);
      const arn = `arn:aws:eks:us-west-2:${ACCOUNT}:cluster/prod`;
      await eks.send(new TagResourceCommand({ resourceArn: arn, tags: { 'with space': 'and/slash', 'ümlaut': '*(!)' } }));
      assert.deepEqual((await eks.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags, { a: 'b', 'with space': 'and/slash', 'ümlaut': '*(!)' });
      await eks.send(new RegisterClusterCommand({ name: 'signed-edge', connectorConfig: { provider: 'OTHER', roleArn: `arn:aws:iam::${ACCOUNT}:role/R` }, tags: { note: 'a+b=c&d' } }));
      assert.equal((await new STSClient(config(SIGNED)).send(new GetCallerIdentityCommand({}))).Arn, `arn:aws:iam::${ACCOUNT}:user/signer`);
      assert.ok((await new SSMClient(config(SIGNED)).send(new DescribeActivationsCommand({ Filters: [{ FilterKey: 'IamRole', FilterValues: ['R'] }] }))).ActivationList?.length);
    });

    it('answers a wrong secret with each protocol\'s signature error', async () => {
      const eksError = await rejection(new EKSClient(config(wrong)).send(new ListClustersCommand({})));
      assert.equal(eksError.name, 'InvalidSignatureException');
      assert.equal(eksError.$metadata.httpStatusCode, 403);
      assert.match(eksError.message, /^The request signature we calculated does not match the signature you provided/);
      const ssmError = await rejection(new SSMClient(config(wrong)).send(new DescribeActivationsCommand({})));
      assert.equal(ssmError.name, 'InvalidSignatureException');
      assert.equal(ssmError.$metadata.httpStatusCode, 400);
      const stsError = await rejection(new STSClient(config(wrong)).send(new GetCallerIdentityCommand({})));
      assert.equal(stsError.name, 'SignatureDoesNotMatch');
      assert.equal(stsError.$metadata.httpStatusCode, 403);
    });

    it('detects a request altered after signing', async () => {
      const eks = new EKSClient(config(SIGNED));
      function tamper<Input extends object, Output extends object>(): FinalizeRequestMiddleware<Input, Output> {
        return (next) => async (args) => {
          (args.request as { query: Record<string, string> }).query.maxResults = '3';
          return next(args);
        };
      }
      eks.middlewareStack.addRelativeTo(tamper(), { relation: 'after', toMiddleware: 'httpSigningMiddleware', name: 'tamper' });
      const error = await rejection(eks.send(new ListClustersCommand({ maxResults: 2 })));
      assert.equal(error.name, 'InvalidSignatureException');
    });

    it('does not verify signatures of identities without a seeded secret', async () => {
      const anySecret: EmulatorCredentials = { accessKeyId: NO_EKS.accessKeyId, secretAccessKey: 'whatever' };
      assert.equal((await new STSClient(config(anySecret)).send(new GetCallerIdentityCommand({}))).Arn, `arn:aws:iam::${ACCOUNT}:user/noeks`);
    });
  });

  describe('unknown operations and request ids', () => {
    it('answers operations the emulator does not serve with each protocol\'s unknown-operation error', async () => {
      const eksError = await rejection(new EKSClient(config(SIGNED)).send(new CreateClusterCommand({ name: 'x', roleArn: `arn:aws:iam::${ACCOUNT}:role/R`, resourcesVpcConfig: {} })));
      assert.equal(eksError.name, 'UnknownOperationException');
      assert.equal(eksError.$metadata.httpStatusCode, 404);
      const ssmError = await rejection(new SSMClient(config(SIGNED)).send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript' })));
      assert.equal(ssmError.name, 'UnknownOperationException');
      assert.equal(ssmError.$metadata.httpStatusCode, 400);
      const iamError = await rejection(new IAMClient(config(SIGNED, 'us-east-1')).send(new ListUsersCommand({})));
      assert.equal(iamError.name, 'InvalidAction');
      assert.equal(iamError.message, 'Could not find operation ListUsers for version 2010-05-08');
      const stsError = await rejection(new STSClient(config(SIGNED)).send(new GetSessionTokenCommand({})));
      assert.equal(stsError.name, 'InvalidAction');
    });

    it('returns a request id on successes and errors in every protocol', async () => {
      const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
      const eks = await new EKSClient(config(SIGNED)).send(new ListClustersCommand({}));
      const ssm = await new SSMClient(config(SIGNED)).send(new DescribeActivationsCommand({}));
      const sts = await new STSClient(config(SIGNED)).send(new GetCallerIdentityCommand({}));
      const eksError = await rejection(new EKSClient(config(SIGNED)).send(new DescribeClusterCommand({ name: 'ghost' })));
      const iamError = await rejection(new IAMClient(config(READ_ONLY, 'us-east-1')).send(new ListRolesCommand({})));
      const ids = [eks, ssm, sts, eksError, iamError].map((result) => result.$metadata.requestId ?? '');
      for (const id of ids) assert.match(id, uuid);
      assert.equal(new Set(ids).size, ids.length, 'every request gets its own id');
    });
  });
});

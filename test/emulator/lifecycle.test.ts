// The emulator as a process: state surviving a restart, the control API, seed validation, and the CLI's
// ready line, exit codes and signal handling.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  DescribeClusterCommand, DescribeUpdateCommand, EKSClient, ListClustersCommand, ListUpdatesCommand, RegisterClusterCommand, UpdateClusterVersionCommand,
} from '@aws-sdk/client-eks';
import { DescribeInstanceInformationCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetRoleCommand, IAMClient, CreateRoleCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { emulatorClientConfig, type EmulatorCredentials } from '../../emulator/src/client-config';
import { EmulatorControl, EmulatorControlError } from '../../emulator/src/control-client';
import { SeedValidationError, type Seed } from '../../emulator/src/seed';
import { startEmulator, type RunningEmulator } from '../../emulator/src/server';

const ROOT = resolve(__dirname, '../..');
const ROLE = 'arn:aws:iam::000000000000:role/AmazonEKSConnectorAgentRole';
const SEED: Seed = {
  regions: { 'us-west-2': { clusters: [{ name: 'prod' }, { name: 'edge', connector: { provider: 'OTHER', roleArn: ROLE, status: 'ACTIVE' } }] } },
  iam: { roles: [{ name: 'AmazonEKSConnectorAgentRole' }] },
};

interface CliRun {
  exitCode: Promise<number | null>;
  firstLine: Promise<string>;
  stderr: () => string;
  kill: (signal: NodeJS.Signals) => void;
}

function runCli(args: string[]): CliRun {
  const child = spawn(process.execPath, ['--import', 'tsx', 'emulator/src/main.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const firstLine = new Promise<string>((resolveLine, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const newline = stdout.indexOf('\n');
      if (newline >= 0) resolveLine(stdout.slice(0, newline));
    });
    child.on('exit', () => reject(new Error(`exited before printing a line; stderr: ${stderr}`)));
  });
  firstLine.catch(() => undefined);
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exitCode = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
  return { exitCode, firstLine, stderr: () => stderr, kill: (signal) => child.kill(signal) };
}

describe('emulator: persistence, control API, seeds and CLI', function () {
  this.timeout(30_000);
  let directory: string;

  before(() => {
    directory = mkdtempSync(join(tmpdir(), 'aws-emulator-test-'));
  });
  after(() => rmSync(directory, { recursive: true, force: true }));

  describe('state file', () => {
    it('keeps clusters, activations, instances, roles, updates, tokens, sessions and the clock across a restart', async () => {
      const statePath = join(directory, 'state.json');
      let emulator: RunningEmulator = await startEmulator({ seed: SEED, statePath });
      const admin: EmulatorCredentials = { accessKeyId: 'AKIAPERSIST000000001', secretAccessKey: 'x' };
      const clients = () => ({
        eks: new EKSClient(emulatorClientConfig(emulator.url, { credentials: admin, maxAttempts: 1 })),
        ssm: new SSMClient(emulatorClientConfig(emulator.url, { credentials: admin, maxAttempts: 1 })),
        iam: new IAMClient(emulatorClientConfig(emulator.url, { region: 'us-east-1', credentials: admin, maxAttempts: 1 })),
        sts: new STSClient(emulatorClientConfig(emulator.url, { credentials: admin, maxAttempts: 1 })),
      });
      const { eks, iam, sts } = clients();
      const token = '5f0c7a3e-2b1d-4c8e-9a6f-1e2d3c4b5a69';
      const registered = (await eks.send(new RegisterClusterCommand({ name: 'kept', clientRequestToken: token, connectorConfig: { provider: 'TANZU', roleArn: ROLE } }))).cluster!;
      await new EmulatorControl(emulator.url).registerAgent({ activationId: registered.connectorConfig!.activationId!, activationCode: registered.connectorConfig!.activationCode! });
      await iam.send(new CreateRoleCommand({ RoleName: 'Assumable', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }] }) }));
      const { Credentials } = await sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::000000000000:role/Assumable', RoleSessionName: 'kept' }));
      const page = await eks.send(new ListClustersCommand({ include: ['all'], maxResults: 1 }));
      const { update } = await eks.send(new UpdateClusterVersionCommand({ name: 'prod', version: '1.32' }));
      await new EmulatorControl(emulator.url).advanceClock(10);
      await new EmulatorControl(emulator.url).advanceClock(90);
      await emulator.close();

      const onDisk = JSON.parse(readFileSync(statePath, 'utf8')) as { state: { clockOffsetMs: number } };
      assert.equal(onDisk.state.clockOffsetMs, 100_000);
      assert.deepEqual(readdirSync(directory).filter((name) => name.endsWith('.tmp')), [], 'no temporary file is left behind');

      emulator = await startEmulator({ statePath });
      try {
        const { eks, ssm, iam } = clients();
        const again = (await eks.send(new DescribeClusterCommand({ name: 'kept' }))).cluster!;
        assert.equal(again.status, 'ACTIVE');
        assert.equal(again.connectorConfig?.activationId, registered.connectorConfig?.activationId);
        const instances = await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'ActivationIds', Values: [registered.connectorConfig!.activationId!] }] }));
        assert.equal(instances.InstanceInformationList?.length, 1);
        assert.equal((await iam.send(new GetRoleCommand({ RoleName: 'Assumable' }))).Role?.RoleName, 'Assumable');
        const replay = await eks.send(new RegisterClusterCommand({ name: 'kept', clientRequestToken: token, connectorConfig: { provider: 'TANZU', roleArn: ROLE } }));
        assert.equal(replay.cluster?.connectorConfig?.activationCode, registered.connectorConfig?.activationCode, 'idempotency tokens survive');
        const next = await eks.send(new ListClustersCommand({ include: ['all'], maxResults: 10, nextToken: page.nextToken }));
        assert.deepEqual(next.clusters, ['kept', 'prod'], 'page tokens survive');
        const session = new STSClient(emulatorClientConfig(emulator.url, { credentials: { accessKeyId: Credentials!.AccessKeyId!, secretAccessKey: Credentials!.SecretAccessKey!, sessionToken: Credentials!.SessionToken! } }));
        assert.equal((await session.send(new GetCallerIdentityCommand({}))).Arn, 'arn:aws:sts::000000000000:assumed-role/Assumable/kept');
        assert.equal((await new EmulatorControl(emulator.url).getClock()).offsetSeconds, 100);
        assert.equal((await eks.send(new DescribeUpdateCommand({ name: 'prod', updateId: update!.id! }))).update?.status, 'Successful');
        assert.equal((await eks.send(new DescribeClusterCommand({ name: 'prod' }))).cluster?.version, '1.32', 'the update completed on the restored clock');
      } finally {
        await emulator.close();
      }
    });

    it('refuses a state file it did not write', async () => {
      const statePath = join(directory, 'foreign.json');
      writeFileSync(statePath, '{"hello":"world"}');
      await assert.rejects(startEmulator({ statePath }), /was not written by this emulator/);
    });
    it('fails to start when the state file cannot be written', async () => {
      await assert.rejects(startEmulator({ statePath: join(directory, 'missing-dir', 'state.json') }), /Cannot write state file .*missing-dir/);
    });
  });

  describe('control API', () => {
    let emulator: RunningEmulator;
    let control: EmulatorControl;
    let eks: EKSClient;

    before(async () => {
      emulator = await startEmulator({ seed: SEED });
      control = new EmulatorControl(emulator.url);
      eks = new EKSClient(emulatorClientConfig(emulator.url, { maxAttempts: 1 }));
    });
    after(() => emulator.close());

    it('reports health', async () => {
      assert.equal(await control.health(), true);
      const response = await fetch(`${emulator.url}/__emulator/health`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { ok: true });
      assert.match(emulator.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(emulator.url, `http://127.0.0.1:${emulator.port}`);
    });

    it('moves the clock forward only', async () => {
      const before = await control.getClock();
      const after = await control.advanceClock(3600);
      assert.equal(after.offsetSeconds - before.offsetSeconds, 3600);
      assert.ok(after.nowEpochSeconds - before.nowEpochSeconds >= 3600);
      await assert.rejects(control.advanceClock(-5), (error: unknown) => error instanceof EmulatorControlError && error.status === 400);
    });

    it('resets to the seed, including the clock', async () => {
      await eks.send(new RegisterClusterCommand({ name: 'temp', connectorConfig: { provider: 'OTHER', roleArn: ROLE } }));
      await control.advanceClock(60);
      await control.reset();
      assert.deepEqual((await eks.send(new ListClustersCommand({ include: ['all'] }))).clusters, ['edge', 'prod']);
      assert.equal((await control.getClock()).offsetSeconds, 0);
    });

    it('loads a new seed, which reset then returns to', async () => {
      await control.loadSeed({ regions: { 'us-west-2': { clusters: [{ name: 'fresh' }] } } });
      assert.deepEqual((await eks.send(new ListClustersCommand({ include: ['all'] }))).clusters, ['fresh']);
      await eks.send(new RegisterClusterCommand({ name: 'temp', connectorConfig: { provider: 'OTHER', roleArn: ROLE } }));
      await control.reset();
      assert.deepEqual((await eks.send(new ListClustersCommand({ include: ['all'] }))).clusters, ['fresh']);
      await control.loadSeed(SEED);
    });

    it('refuses an invalid seed with 400, listing each problem by path, and keeps the old state', async () => {
      const error = await control.loadSeed({ regions: { 'us-west-2': { clusters: [{ name: 'bad name' }] } } } as Seed).then(() => undefined, (e: unknown) => e);
      assert.ok(error instanceof EmulatorControlError);
      assert.equal(error.status, 400);
      assert.match(error.message, /regions\.us-west-2\.clusters\[0\]\.name/);
      assert.deepEqual((await eks.send(new ListClustersCommand({ include: ['all'] }))).clusters, ['edge', 'prod']);
    });

    it('dumps the state', async () => {
      const dump = await control.getState();
      assert.deepEqual(Object.keys(dump.state.accounts['000000000000'].regions['us-west-2'].clusters).sort(), ['edge', 'prod']);
      assert.ok(dump.clock.now);
      assert.equal(Object.keys(dump.state.accounts['000000000000'].regions['us-west-2'].instances).length, 2, 'a seeded ACTIVE connected cluster has two agent instances');
    });

    it('sets an instance\'s ping status, refusing unknown instances and statuses', async () => {
      const ssm = new SSMClient(emulatorClientConfig(emulator.url, { maxAttempts: 1 }));
      const [instance] = (await ssm.send(new DescribeInstanceInformationCommand({}))).InstanceInformationList ?? [];
      assert.match(instance.InstanceId ?? '', /^eks_c:edge_/);
      await control.setInstancePingStatus(instance.InstanceId!, 'ConnectionLost');
      const lost = (await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [instance.InstanceId!] }] }))).InstanceInformationList?.[0];
      assert.equal(lost?.PingStatus, 'ConnectionLost');
      await assert.rejects(control.setInstancePingStatus('eks_c:ghost_AAAAAAAAAAAAAAAAA', 'Online'), (error: unknown) => error instanceof EmulatorControlError && error.status === 404);
      await assert.rejects(control.setInstancePingStatus(instance.InstanceId!, 'Asleep' as 'Online'), (error: unknown) => error instanceof EmulatorControlError && error.status === 400);
    });

    it('moves clusters seeded as CREATING or UPDATING on, on its clock, as it does its own updates', async () => {
      await control.loadSeed({
        timings: { createSeconds: 300, updateSeconds: 60 },
        regions: { 'us-west-2': { clusters: [{ name: 'born', status: 'CREATING' }, { name: 'upgrading', version: '1.31', status: 'UPDATING' }, { name: 'steady' }] } },
      });
      try {
        const status = async (name: string) => (await eks.send(new DescribeClusterCommand({ name }))).cluster?.status;
        assert.deepEqual([await status('born'), await status('upgrading'), await status('steady')], ['CREATING', 'UPDATING', 'ACTIVE']);
        // The seeded update is listed, and refuses a second one, like an update the emulator started.
        const [seededUpdate] = (await eks.send(new ListUpdatesCommand({ name: 'upgrading' }))).updateIds ?? [];
        assert.ok(seededUpdate, 'the seeded update is listed');
        assert.equal((await eks.send(new DescribeUpdateCommand({ name: 'upgrading', updateId: seededUpdate }))).update?.status, 'InProgress');
        await assert.rejects(eks.send(new UpdateClusterVersionCommand({ name: 'upgrading', version: '1.32' })), /currently has update/);

        await control.advanceClock(60);
        assert.deepEqual([await status('born'), await status('upgrading')], ['CREATING', 'ACTIVE']);
        assert.equal((await eks.send(new DescribeUpdateCommand({ name: 'upgrading', updateId: seededUpdate }))).update?.status, 'Successful');
        const upgraded = (await eks.send(new DescribeClusterCommand({ name: 'upgrading' }))).cluster;
        assert.equal(upgraded?.version, '1.31', 'a seeded update changes nothing the seed did not say');

        await control.advanceClock(240);
        const born = (await eks.send(new DescribeClusterCommand({ name: 'born' }))).cluster;
        assert.equal(born?.status, 'ACTIVE');
        assert.ok(born?.endpoint, 'an ACTIVE cluster has its endpoint');
      } finally {
        await control.loadSeed(SEED);
      }
    });

    it('answers unknown control routes with 404', async () => {
      const response = await fetch(`${emulator.url}/__emulator/teleport`, { method: 'POST' });
      assert.equal(response.status, 404);
    });
  });

  describe('seed validation', () => {
    it('reports every problem with its path and reason', async () => {
      const bad = {
        accountId: '12345',
        identities: [{ accessKeyId: 'lowercase', arn: 'arn:aws:iam::123456789012:group/devs', deny: [{ action: 'ListClusters' }] }],
        timings: { deregisterSeconds: -1 },
        regions: {
          'us-west-2': {
            clusterz: [],
            clusters: [
              { name: 'edge', connector: { provider: 'Rancher', roleArn: 'arn:aws:iam::123456789012:user/x', status: 'UPDATING' }, version: '1.30' },
              { name: 'edge' },
              { name: 'prod', nodegroups: [{ name: 'ng', minSize: 3, maxSize: 1 }], loggingTypes: ['debug'] },
            ],
          },
          moon: {},
        },
        iam: { roles: [{ name: 'bad role' }] },
      };
      let error: unknown;
      try {
        await startEmulator({ seed: bad as unknown as Seed });
      } catch (caught) {
        error = caught;
      }
      assert.ok(error instanceof SeedValidationError, String(error));
      const paths = error.issues.map((issue) => issue.path);
      for (const expected of [
        'accountId', 'identities[0].accessKeyId', 'identities[0].arn', 'identities[0].deny[0].action', 'timings.deregisterSeconds',
        'regions.us-west-2.clusterz', 'regions.us-west-2.clusters[0].connector.provider', 'regions.us-west-2.clusters[0].connector.roleArn',
        'regions.us-west-2.clusters[0].connector.status', 'regions.us-west-2.clusters[0].version', 'regions.us-west-2.clusters[1].name',
        'regions.us-west-2.clusters[2].nodegroups[0].minSize', 'regions.us-west-2.clusters[2].loggingTypes[0]', 'regions.moon', 'iam.roles[0].name',
      ]) {
        assert.ok(paths.includes(expected), `missing ${expected} in:\n${error.message}`);
      }
      assert.match(error.message, /clusters\[0\]\.connector\.provider: must be one of EKS_ANYWHERE, .*OTHER, got "Rancher"/);
      assert.match(error.message, /clusters\[1\]\.name: duplicate cluster name "edge"/);
    });

    it('loads a seed file, and reports a file that is not JSON', async () => {
      const good = join(directory, 'seed.json');
      writeFileSync(good, JSON.stringify({ regions: { 'sa-east-1': { clusters: [{ name: 'rio' }] } } }));
      const emulator = await startEmulator({ seed: good });
      try {
        const eks = new EKSClient(emulatorClientConfig(emulator.url, { region: 'sa-east-1' }));
        assert.deepEqual((await eks.send(new ListClustersCommand({}))).clusters, ['rio']);
      } finally {
        await emulator.close();
      }
      const broken = join(directory, 'broken.json');
      writeFileSync(broken, '{ "regions": ');
      await assert.rejects(startEmulator({ seed: broken }), (error: unknown) => error instanceof SeedValidationError && /not valid JSON/.test(error.message));
    });
  });

  describe('CLI', () => {
    it('prints the ready line, serves requests, and exits 0 on SIGTERM after saving state', async () => {
      const statePath = join(directory, 'cli-state.json');
      const run = runCli(['--port', '0', '--host', '127.0.0.1', '--state', statePath]);
      const line = await run.firstLine;
      const match = /^AWS emulator listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(line);
      assert.ok(match, line);
      const url = match[1];
      assert.equal(await new EmulatorControl(url).health(), true);
      await new EKSClient(emulatorClientConfig(url)).send(new RegisterClusterCommand({ name: 'from-cli', connectorConfig: { provider: 'OTHER', roleArn: ROLE } }));
      run.kill('SIGTERM');
      assert.equal(await run.exitCode, 0);
      assert.ok(existsSync(statePath));
      assert.ok(readFileSync(statePath, 'utf8').includes('from-cli'));
    });

    it('exits 2 on an unknown flag or a bad seed, saying what is wrong', async () => {
      const flag = runCli(['--prot', '1234']);
      assert.equal(await flag.exitCode, 2);
      assert.match(flag.stderr(), /Unknown argument "--prot"/);
      const seedPath = join(directory, 'bad-seed.json');
      writeFileSync(seedPath, JSON.stringify({ regions: { 'us-west-2': { clusters: [{ name: 'x', connector: { provider: 'NOPE', roleArn: ROLE } }] } } }));
      const seed = runCli(['--seed', seedPath]);
      assert.equal(await seed.exitCode, 2);
      assert.match(seed.stderr(), /regions\.us-west-2\.clusters\[0\]\.connector\.provider: must be one of/);
    });

    it('exits 1 when the port is in use', async () => {
      const occupant = await startEmulator();
      try {
        const run = runCli(['--port', String(occupant.port)]);
        assert.equal(await run.exitCode, 1);
        assert.match(run.stderr(), new RegExp(`Port ${occupant.port} on 127\\.0\\.0\\.1 is already in use`));
      } finally {
        await occupant.close();
      }
    });
  });
});

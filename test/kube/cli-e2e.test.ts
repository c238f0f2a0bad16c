// The `eks-connector` CLI end to end, as a pipeline runs it: the built dist/cli.js in a child process, AWS from the
// standard environment (pointing at the emulator), the cluster from a kubeconfig context of the real API server.
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmulator, type RunningEmulator } from '../../emulator/src/server';
import { EmulatorControl } from '../../emulator/src/control-client';
import { SimulatedConnectorAgent } from '../support/simulatedAgent';
import { sharedCluster, eventually, connectorNamespaceGone } from './shared';
import type { RunningKubeCluster } from '../../scripts/kube/cluster';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const ACCOUNT = '123456789012';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/AmazonEKSConnectorAgentRole`;

interface Run { code: number; stdout: string; stderr: string; json?: Record<string, unknown> }

describe('eks-connector CLI (real API server, emulator, simulated agent)', function () {
  this.timeout(180_000);
  let kube: RunningKubeCluster;
  let emulator: RunningEmulator;
  let agent: SimulatedConnectorAgent;
  let env: NodeJS.ProcessEnv;
  /** The CLI's HOME and the tests' kubeconfig files: one temp folder, removed by after(). */
  let scratch: string;

  function run(...args: string[]): Promise<Run> {
    return new Promise((resolve) => {
      execFile(process.execPath, [cli, ...args], { env, timeout: 120_000 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        let json: Record<string, unknown> | undefined;
        try { json = JSON.parse(stdout) as Record<string, unknown>; } catch { /* human output */ }
        resolve({ code, stdout, stderr, json });
      });
    });
  }

  before(async () => {
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--quiet'], { cwd: root });
    kube = await sharedCluster();
    await connectorNamespaceGone(kube.kubeConfig('sandbox-admin'));
    scratch = mkdtempSync(path.join(tmpdir(), 'eksc-cli-e2e-'));
    mkdirSync(path.join(scratch, 'home'));
    emulator = await startEmulator({ seed: { accountId: ACCOUNT, timings: { deregisterSeconds: 1 }, iam: { roles: [{ name: 'AmazonEKSConnectorAgentRole', trustService: 'ssm.amazonaws.com' }] }, identities: [{ accessKeyId: 'AKIACLIPIPELINE00001', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Pipeline/run-42` }] } });
    env = {
      PATH: process.env.PATH, HOME: path.join(scratch, 'home'),
      AWS_ENDPOINT_URL: emulator.url, AWS_ACCESS_KEY_ID: 'AKIACLIPIPELINE00001', AWS_SECRET_ACCESS_KEY: 'x', AWS_REGION: 'us-west-2',
      AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', KUBECONFIG: kube.kubeconfigPath,
    };
    agent = new SimulatedConnectorAgent(kube.kubeConfig('sandbox-admin'), emulator.url);
    agent.start(300);
  });

  after(async () => {
    agent?.stop();
    await emulator?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('register → status → grant → revoke → deregister, with JSON output and exit codes', async () => {
    const registered = await run('register', '--context', 'sandbox-admin', '--region', 'us-west-2', '--name', 'pipeline-cluster', '--provider', 'other', '--role-arn', ROLE, '--json');
    assert.equal(registered.code, 0, registered.stderr);
    assert.equal(registered.json?.status, 'ACTIVE');
    assert.match(registered.stderr, /\[register\] Registering pipeline-cluster/, 'progress goes to stderr in JSON mode');

    const status = await run('status', '--context', 'sandbox-admin', '--region', 'us-west-2', '--name', 'pipeline-cluster', '--json');
    assert.equal(status.code, 0, status.stderr);
    assert.equal(status.json?.status, 'ACTIVE');
    // The pipeline's assumed-role session maps to its role: that is who gets console access by default.
    assert.deepEqual(status.json?.grants, [`arn:aws:iam::${ACCOUNT}:role/Pipeline (full access)`]);

    // alice gets console access in two namespaces only.
    const granted = await run('grant', '--context', 'sandbox-admin', '--region', 'us-west-2', '--name', 'pipeline-cluster', '--grant', `arn:aws:iam::${ACCOUNT}:user/alice`, '--namespaces', 'kube-system,default');
    assert.equal(granted.code, 0, granted.stderr);
    const withAlice = await run('status', '--context', 'sandbox-admin', '--region', 'us-west-2', '--name', 'pipeline-cluster', '--json');
    assert.deepEqual(withAlice.json?.grants, [`arn:aws:iam::${ACCOUNT}:role/Pipeline (full access)`, `arn:aws:iam::${ACCOUNT}:user/alice (namespaces default, kube-system)`]);
    const revoked = await run('revoke', '--context', 'sandbox-admin', '--region', 'us-west-2', '--name', 'pipeline-cluster', '--grant', `arn:aws:iam::${ACCOUNT}:user/alice`, '--json');
    assert.equal(revoked.code, 0, revoked.stderr);

    const unconfirmed = await run('deregister', '--context', 'sandbox-admin', '--region', 'us-west-2', '--name', 'pipeline-cluster');
    assert.equal(unconfirmed.code, 2);
    assert.match(unconfirmed.stderr, /--yes/);
    const deregistered = await run('deregister', '--context', 'sandbox-admin', '--region', 'us-west-2', '--name', 'pipeline-cluster', '--yes', '--json');
    assert.equal(deregistered.code, 0, deregistered.stderr);
    assert.deepEqual(deregistered.json?.remaining, []);
    await eventually('the connector namespace to go', () => run('status', '--context', 'sandbox-admin', '--region', 'us-west-2', '--name', 'pipeline-cluster', '--json'), (r) => (r.json?.pods as unknown[] | undefined)?.length === 0, 60_000);
  });

  it('exit 3 for a pre-flight failure: a viewer-only context, and an unreachable API server', async () => {
    const viewer = await run('register', '--context', 'sandbox-viewer', '--region', 'us-west-2', '--name', 'viewer-cluster', '--provider', 'OTHER', '--role-arn', ROLE);
    assert.equal(viewer.code, 3, viewer.stderr);
    assert.match(viewer.stderr, /Permission to install the connector/);
    const dir = mkdtempSync(path.join(scratch, 'deadkube-'));
    writeFileSync(path.join(dir, 'config'), [
      'apiVersion: v1', 'kind: Config', 'current-context: dead',
      'clusters: [{name: dead, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]',
      'users: [{name: u, user: {token: abc}}]', 'contexts: [{name: dead, context: {cluster: dead, user: u}}]', '',
    ].join('\n'));
    const dead = await run('register', '--kubeconfig', path.join(dir, 'config'), '--region', 'us-west-2', '--name', 'dead-cluster', '--provider', 'OTHER', '--role-arn', ROLE);
    assert.equal(dead.code, 3, dead.stderr);
    assert.match(dead.stderr, /could not be reached/);
  });

  it('exit 4 for an AWS error, with nothing left behind', async () => {
    const control = new EmulatorControl(emulator.url);
    // A namespace still terminating from the previous test would (rightly) fail pre-flight first.
    const core = kube.kubeConfig('sandbox-admin').makeApiClient(k8s.CoreV1Api);
    await eventually('the eks-connector namespace to be gone', () => core.readNamespace({ name: 'eks-connector' }).then(() => 'present', () => 'absent'), (s) => s === 'absent', 90_000);
    await control.setFaults({ errors: [{ service: 'eks', operation: 'RegisterCluster', status: 503, count: 10 }] });
    try {
      const failed = await run('register', '--context', 'sandbox-admin', '--region', 'us-west-2', '--name', 'aws-down', '--provider', 'OTHER', '--role-arn', ROLE);
      assert.equal(failed.code, 4, failed.stderr);
      assert.match(failed.stderr, /server error|ServiceUnavailable/i);
      assert.doesNotMatch(failed.stderr, /left behind/);
    } finally {
      await control.resetFaults();
    }
  });

  describe('bad input: every problem in one answer (exit 2), before the kubeconfig or AWS; nothing created', () => {
    const region = 'eks-connector: --region "cn-north-1": The EKS Connector is not available in cn-north-1 (China (Beijing)): China and GovCloud regions cannot register clusters. Choose a commercial AWS region, such as us-west-2.';
    const name = 'eks-connector: --name "-bad name!": The name must start with a letter or digit, but it starts with \'-\'. A cluster name has 1 to 100 letters, digits, "-" and "_", and starts with a letter or digit: try "bad-name".';
    const provider = 'eks-connector: --provider "FOO": "FOO" is not a provider EKS accepts. Use one of: EKS_ANYWHERE, ANTHOS, GKE, AKS, OPENSHIFT, TANZU, RANCHER, EC2, OTHER (OTHER for anything else).';
    const fix = 'eks-connector: fix: Correct the arguments listed and run the command again; `eks-connector help` describes every option.';
    const kubeNotRun = (command: string) => `eks-connector: ${command} was not run: the kubeconfig cannot be used; AWS was not called and nothing was changed.`;
    const badRegister = ['register', '--region', 'cn-north-1', '--provider', 'FOO', '--name', '-bad name!', '--context', 'nope', '--role-arn', ROLE];

    interface Untouched { namespaces: string[]; clusters: string }
    async function snapshot(): Promise<Untouched> {
      await new EmulatorControl(emulator.url).resetFaults();
      const core = kube.kubeConfig('sandbox-admin').makeApiClient(k8s.CoreV1Api);
      const namespaces = (await core.listNamespace()).items.map((n) => n.metadata!.uid!);
      return { namespaces, clusters: JSON.stringify(clustersOf((await new EmulatorControl(emulator.url).getState()).state)) };
    }
    function clustersOf(state: Awaited<ReturnType<EmulatorControl['getState']>>['state']): string[] {
      return Object.values(state.accounts).flatMap((a) => Object.entries(a.regions).flatMap(([r, s]) => Object.keys(s.clusters).map((c) => `${r}/${c}`))).sort();
    }
    /** No AWS request reached the emulator, no cluster appeared there, and no namespace appeared in the API server. */
    async function assertNothingChanged(before: Untouched): Promise<void> {
      const control = new EmulatorControl(emulator.url);
      assert.deepEqual((await control.getFaults()).counters.requests, {}, 'no AWS request was made');
      assert.equal(JSON.stringify(clustersOf((await control.getState()).state)), before.clusters, 'no cluster was registered');
      const core = kube.kubeConfig('sandbox-admin').makeApiClient(k8s.CoreV1Api);
      const created = (await core.listNamespace()).items.filter((n) => !before.namespaces.includes(n.metadata!.uid!));
      assert.deepEqual(created.map((n) => n.metadata?.name), [], 'no namespace was created');
    }
    function assertLines(r: Run, stderr: string[], code = 2): void {
      assert.equal(r.stderr, stderr.map((l) => `${l}\n`).join(''));
      assert.equal(r.code, code, r.stderr);
      for (const line of r.stderr.split('\n')) assert.doesNotMatch(line, /\.\.$/, 'no message ends in ".."');
    }
    function runWith(extraEnv: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> {
      const saved = env;
      env = { ...env, ...extraEnv };
      for (const [key, value] of Object.entries(extraEnv)) if (value === undefined) delete env[key];
      const running = run(...args);
      env = saved;
      return running;
    }

    it('lists the region, the provider and the name together, with what is valid; the unknown context waits', async () => {
      const before = await snapshot();
      const r = await run(...badRegister);
      assert.equal(r.stdout, '');
      assertLines(r, ['eks-connector: register was not run: 3 problems with the arguments; nothing was read or changed.', region, name, provider, fix]);
      const grant = await run('grant', '--context', 'nope', '--region', 'us-gov-west-1', '--name', 'x', '--grant', 'arn:aws:iam::12:user/x', '--grant', `arn:aws:iam::${ACCOUNT}:user/alice`, '--provider', 'OTHER', '--namespaces');
      assert.equal(grant.stdout, '');
      assertLines(grant, [
        'eks-connector: grant was not run: 4 problems with the arguments; nothing was read or changed.',
        'eks-connector: --provider does not apply to grant: it is an option of register. Remove it.',
        'eks-connector: --namespaces needs a value, but it is the last argument: write --namespaces <value> (or --namespaces=<value> for a value that starts with "--").',
        'eks-connector: --region "us-gov-west-1": The EKS Connector is not available in us-gov-west-1 (AWS GovCloud (US-West)): China and GovCloud regions cannot register clusters. Choose a commercial AWS region, such as us-west-2.',
        'eks-connector: --grant "arn:aws:iam::12:user/x": The account ID must be 12 digits, but "12" is 2 digits.',
        fix,
      ]);
      await assertNothingChanged(before);
    });

    it('--json: one JSON error object on stdout with every problem listed, the same lines on stderr', async () => {
      const before = await snapshot();
      const r = await run(...badRegister, '--json');
      assertLines(r, ['eks-connector: register was not run: 3 problems with the arguments; nothing was read or changed.', region, name, provider, fix]);
      assert.deepEqual(JSON.parse(r.stdout), {
        error: 'register was not run: 3 problems with the arguments; nothing was read or changed.',
        category: 'input',
        fix: 'Correct the arguments listed and run the command again; `eks-connector help` describes every option.',
        remaining: [],
        problems: [
          { option: '--region', value: 'cn-north-1', message: region.slice('eks-connector: '.length) },
          { option: '--name', value: '-bad name!', message: name.slice('eks-connector: '.length) },
          { option: '--provider', value: 'FOO', message: provider.slice('eks-connector: '.length) },
        ],
      });
      const unknown = await run('connect', '--json');
      assert.equal(unknown.code, 2);
      assert.deepEqual(JSON.parse(unknown.stdout).problems, [{ value: 'connect', message: 'Unknown command "connect": the commands are register, deregister, grant, revoke, status.' }]);
      await assertNothingChanged(before);
    });

    it('a kubeconfig that does not parse: each file, its line and what is wrong, not an unknown context', async () => {
      const before = await snapshot();
      const dir = mkdtempSync(path.join(scratch, 'badkube-'));
      const open = path.join(dir, 'open.yaml');
      const garbage = path.join(dir, 'garbage.yaml');
      writeFileSync(open, 'apiVersion: v1\nkind: Config\ncontexts: [\n');
      writeFileSync(garbage, 'apiVersion: v1\ngarbage: [\nkind: Config\n');
      const openLine = `eks-connector: The kubeconfig file ${open} is not valid YAML (line 3, column 11): the "[" opened here is never closed (the file ends inside it).`;
      const garbageLine = `eks-connector: The kubeconfig file ${garbage} is not valid YAML (line 2, column 10): the "[" opened here is never closed (the file ends inside it).`;

      const r = await run('register', '--kubeconfig', `${open}:${garbage}:${kube.kubeconfigPath}`, '--context', 'sandbox-admin', '--region', 'us-west-2', '--name', 'x', '--provider', 'OTHER', '--role-arn', ROLE);
      assert.equal(r.stdout, '');
      assertLines(r, [kubeNotRun('register'), `${openLine} Fix ${open} at line 3, or leave it out of --kubeconfig.`, `${garbageLine} Fix ${garbage} at line 2, or leave it out of --kubeconfig.`]);

      const viaEnv = await runWith({ KUBECONFIG: garbage }, 'status', '--context', 'x', '--region', 'us-west-2', '--name', 'x', '--json');
      assertLines(viaEnv, [kubeNotRun('status'), `${garbageLine} Fix ${garbage} at line 2, or leave it out of KUBECONFIG.`]);
      assert.deepEqual(JSON.parse(viaEnv.stdout), {
        error: 'status was not run: the kubeconfig cannot be used; AWS was not called and nothing was changed.',
        category: 'input', remaining: [],
        problems: [{ file: garbage, line: 2, message: `${garbageLine.slice('eks-connector: '.length)} Fix ${garbage} at line 2, or leave it out of KUBECONFIG.` }],
      });
      const missing = path.join(dir, 'missing.yaml');
      const gone = await run('status', '--kubeconfig', missing, '--region', 'us-west-2', '--name', 'x');
      assertLines(gone, [kubeNotRun('status'), `eks-connector: The kubeconfig file ${missing} does not exist. Check the path, or leave it out of --kubeconfig.`]);
      await assertNothingChanged(before);
    });

    it('an unknown context or no kubeconfig, once the arguments are valid: named with the contexts there are, before AWS', async () => {
      const before = await snapshot();
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(kube.kubeconfigPath);
      const r = await run('register', '--context', 'nope', '--region', 'us-west-2', '--name', 'x', '--provider', 'OTHER', '--role-arn', ROLE);
      assert.equal(r.stdout, '');
      assertLines(r, [kubeNotRun('register'), `eks-connector: No kubeconfig context is named "nope" (files read: ${kube.kubeconfigPath}). Choose one of: ${kc.getContexts().map((c) => c.name).join(', ')}.`]);
      const noKubeconfig = await runWith({ KUBECONFIG: undefined }, 'register', '--region', 'us-west-2', '--name', 'x', '--provider', 'OTHER', '--role-arn', ROLE);
      assertLines(noKubeconfig, [kubeNotRun('register'), `eks-connector: The kubeconfig file ${path.join(env.HOME!, '.kube', 'config')} does not exist. Create it with your cluster provider's tool (for example \`aws eks update-kubeconfig\`), or set KUBECONFIG to your kubeconfig file.`]);
      await assertNothingChanged(before);
    });

    it('prints no AWS SDK notice on stderr when the environment does not silence it', async () => {
      // The SDK's Node version notice appears under Node < 22 (the suite's Node 20 shows it without the CLI's fix).
      const r = await runWith({ AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined }, 'status', '--context', 'sandbox-admin', '--region', 'us-west-2', '--name', 'never-registered');
      assert.equal(r.stderr, '');
      assert.equal(r.code, 0);
      assert.equal(r.stdout, 'never-registered in us-west-2: not registered\n');
    });
  });
});

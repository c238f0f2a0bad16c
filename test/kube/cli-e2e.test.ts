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

  it('exit 2 for bad input, before anything is changed', async () => {
    const badName = await run('register', '--context', 'sandbox-admin', '--region', 'us-west-2', '--name', 'no spaces', '--provider', 'OTHER', '--role-arn', ROLE);
    assert.equal(badName.code, 2, badName.stderr);
    assert.match(badName.stderr, /Cluster name/);
    const badProvider = await run('register', '--context', 'sandbox-admin', '--region', 'us-west-2', '--name', 'x', '--provider', 'minikube', '--role-arn', ROLE);
    assert.equal(badProvider.code, 2);
    const badArn = await run('grant', '--context', 'sandbox-admin', '--region', 'us-west-2', '--name', 'x', '--grant', 'arn:aws:iam::12:user/x');
    assert.equal(badArn.code, 2);
    const noConnector = await run('register', '--context', 'sandbox-admin', '--region', 'us-gov-west-1', '--name', 'x', '--provider', 'OTHER', '--role-arn', ROLE);
    assert.equal(noConnector.code, 2);
    assert.match(noConnector.stderr, /not available in us-gov-west-1/);
    const unknownContext = await run('status', '--context', 'nope', '--region', 'us-west-2', '--name', 'x');
    assert.equal(unknownContext.code, 2);
    const dir = mkdtempSync(path.join(scratch, 'badkube-'));
    writeFileSync(path.join(dir, 'config'), 'apiVersion: v1\nkind: Config\ncontexts: [\n');
    const broken = await run('status', '--kubeconfig', path.join(dir, 'config'), '--region', 'us-west-2', '--name', 'x');
    assert.equal(broken.code, 2, broken.stderr);
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
});

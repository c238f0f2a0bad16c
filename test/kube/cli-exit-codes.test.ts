// The exit codes a pipeline branches on, from the built `eks-connector` CLI in a child process: AWS refusing a call
// (4) and the cluster refusing the connector (5), each leaving nothing behind. Bad input (2), pre-flight (3) and AWS
// server errors (4) are in cli-e2e.test.ts.
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmulator, type RunningEmulator } from '../../emulator/src/server';
import { emulatorClientConfig } from '../../emulator/src/client-config';
import { sharedCluster, connectorNamespaceGone } from './shared';
import type { RunningKubeCluster } from '../../scripts/kube/cluster';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const ACCOUNT = '123456789012';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/AmazonEKSConnectorAgentRole`;
const PIPELINE_KEY = 'AKIACLIEXITPIPELINE1';
const NO_REGISTER_KEY = 'AKIACLIEXITNOREGIST1';

interface Run { code: number; stdout: string; stderr: string }

describe('eks-connector CLI exit codes (real API server, emulator)', function () {
  this.timeout(180_000);
  let kube: RunningKubeCluster;
  let emulator: RunningEmulator;
  let home: string;

  function run(accessKeyId: string, ...args: string[]): Promise<Run> {
    const env = {
      PATH: process.env.PATH, HOME: home, KUBECONFIG: kube.kubeconfigPath,
      AWS_ENDPOINT_URL: emulator.url, AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: 'x', AWS_REGION: 'us-west-2',
      AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    return new Promise((resolve) => {
      execFile(process.execPath, [cli, ...args], { env, timeout: 120_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      });
    });
  }

  /** What EKS says of a registration: its status, or the error DescribeCluster answers. */
  async function registration(name: string): Promise<string | undefined> {
    const eks = new EKSClient(emulatorClientConfig(emulator.url, { credentials: { accessKeyId: PIPELINE_KEY, secretAccessKey: 'x' } }));
    try {
      return await eks.send(new DescribeClusterCommand({ name })).then((r) => r.cluster?.status, (e: Error) => e.name);
    } finally {
      eks.destroy();
    }
  }

  before(async () => {
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--quiet'], { cwd: root });
    kube = await sharedCluster();
    await connectorNamespaceGone(kube.kubeConfig('sandbox-admin'));
    home = mkdtempSync(path.join(tmpdir(), 'eksc-cli-exit-'));
    emulator = await startEmulator({
      seed: {
        accountId: ACCOUNT,
        timings: { deregisterSeconds: 1 },
        iam: { roles: [{ name: 'AmazonEKSConnectorAgentRole', trustService: 'ssm.amazonaws.com' }] },
        identities: [
          { accessKeyId: PIPELINE_KEY, arn: `arn:aws:iam::${ACCOUNT}:user/pipeline` },
          { accessKeyId: NO_REGISTER_KEY, arn: `arn:aws:iam::${ACCOUNT}:user/no-register`, deny: [{ action: 'eks:RegisterCluster' }] },
        ],
      },
    });
  });

  after(async () => {
    await emulator?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('exit 4 when AWS denies a permission: the message names it, and nothing is left', async () => {
    const denied = await run(NO_REGISTER_KEY, 'register', '--context', 'sandbox-admin', '--region', 'us-west-2', '--name', 'denied-cluster', '--provider', 'OTHER', '--role-arn', ROLE);
    assert.equal(denied.code, 4, denied.stderr);
    assert.match(denied.stderr, /eks:RegisterCluster/);
    assert.doesNotMatch(denied.stderr, /left behind/);
    assert.equal(await registration('denied-cluster'), 'ResourceNotFoundException');
    const core = kube.kubeConfig('sandbox-admin').makeApiClient(k8s.CoreV1Api);
    assert.equal(await core.readNamespace({ name: 'eks-connector' }).then(() => 'present', () => 'absent'), 'absent', 'no connector namespace');
  });

  it('exit 5 when the cluster refuses the connector: the object is named, and the registration is rolled back', async () => {
    // A half-removed earlier install whose ConfigMap another tool now owns a field of (as a Helm upgrade would):
    // the pre-flight lets our own namespace be, and server-side apply conflicts on the ConfigMap.
    const admin = kube.kubeConfig('sandbox-admin');
    const core = admin.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'eks-connector', labels: { 'app.kubernetes.io/managed-by': 'eks-connector-vscode' } } } });
    try {
      await core.createNamespacedConfigMap({ namespace: 'eks-connector', body: { metadata: { name: 'eks-connector-agent' }, data: { 'amazon-ssm-agent.json': '{}' } }, fieldManager: 'helm' });
      const refused = await run(PIPELINE_KEY, 'register', '--context', 'sandbox-admin', '--region', 'us-west-2', '--name', 'refused-cluster', '--provider', 'OTHER', '--role-arn', ROLE);
      assert.equal(refused.code, 5, refused.stderr);
      assert.match(refused.stderr, /Applying ConfigMap eks-connector\/eks-connector-agent failed/);
      assert.match(refused.stderr, /Everything created was removed/);
      assert.doesNotMatch(refused.stderr, /left behind/);
      assert.ok(['DELETING', 'ResourceNotFoundException'].includes(await registration('refused-cluster') ?? ''), 'the registration was deregistered');
    } finally {
      await core.deleteNamespace({ name: 'eks-connector' }).catch(() => undefined);
      await connectorNamespaceGone(admin);
    }
  });
});

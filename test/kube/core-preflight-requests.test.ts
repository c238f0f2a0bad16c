// How the cluster pre-flight asks for admin rights (one SelfSubjectRulesReview per namespace, access reviews only
// for what complete rules do not grant) and how KubeCluster uses connections and credential plugins, observed on
// the real API server: its own request counters (/metrics), its RBAC, and a TCP proxy that counts connections.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import type { RunningKubeCluster } from '../../scripts/kube/cluster';
import { KubeCluster } from '../../src/core/kube/kubeCluster';
import { clusterPreflight } from '../../src/core/connector/preflight';
import { FaultProxy } from '../support/faultProxy';
import { actingAs, connectorNamespaceGone, connectorPreflightPlan, sharedCluster } from './shared';

const CONSOLE_USER = 'arn:aws:iam::123456789012:role/Admin';
const RBAC = 'rbac.authorization.k8s.io';


/** The API server's count of POSTs to one authorization resource, summed over response codes. */
async function requestCount(cluster: RunningKubeCluster, resource: string): Promise<number> {
  const text = await new Promise<string>((resolve, reject) => {
    const url = new URL('/metrics', cluster.server);
    https.get(url, { ca: fs.readFileSync(cluster.caFile), headers: { authorization: `Bearer ${cluster.tokens.admin}` } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`/metrics answered ${res.statusCode}`))));
    }).on('error', reject);
  });
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('apiserver_request_total{') && line.includes(`resource="${resource}"`) && line.includes('verb="POST"')) total += Number(line.split(' ').pop());
  }
  return total;
}

/** How many rules and access reviews `run` made the API server answer. */
async function reviewsDuring(cluster: RunningKubeCluster, run: () => Promise<unknown>): Promise<{ rules: number; access: number }> {
  const [rules0, access0] = await Promise.all([requestCount(cluster, 'selfsubjectrulesreviews'), requestCount(cluster, 'selfsubjectaccessreviews')]);
  await run();
  const [rules1, access1] = await Promise.all([requestCount(cluster, 'selfsubjectrulesreviews'), requestCount(cluster, 'selfsubjectaccessreviews')]);
  return { rules: rules1 - rules0, access: access1 - access0 };
}


describe('cluster pre-flight requests (real API server)', function () {
  this.timeout(120_000);
  let kube: RunningKubeCluster;
  let rbac: k8s.RbacAuthorizationV1Api;
  let core: k8s.CoreV1Api;

  // sandbox-admin is in system:masters, which the API server allows everything before RBAC is asked; a user bound
  // to cluster-admin is an admin that RBAC (and a trimmed system:basic-user) decides for.
  const ADMIN = 'preflight-admin';
  const admin = () => actingAs(kube, ADMIN);

  before(async () => {
    kube = await sharedCluster();
    await connectorNamespaceGone(kube.kubeConfig('sandbox-admin'));
    rbac = kube.kubeConfig('sandbox-admin').makeApiClient(k8s.RbacAuthorizationV1Api);
    core = kube.kubeConfig('sandbox-admin').makeApiClient(k8s.CoreV1Api);
    await rbac.createClusterRoleBinding({ body: { metadata: { name: ADMIN }, roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'User', name: ADMIN, apiGroup: RBAC }] } });
  });

  after(async () => {
    await rbac?.deleteClusterRoleBinding({ name: ADMIN }).catch(() => undefined);
  });

  it('decides every permission of an admin from one rules review when the namespace is new', async () => {
    let checks: Awaited<ReturnType<typeof clusterPreflight>> = [];
    const asked = await reviewsDuring(kube, async () => { checks = await clusterPreflight(admin(), connectorPreflightPlan(CONSOLE_USER)); });
    assert.deepEqual(checks.map((c) => c.status), ['pass', 'pass', 'pass', 'pass', 'pass'], checks.map((c) => `${c.id}: ${c.reason}`).join('\n'));
    assert.deepEqual(asked, { rules: 1, access: 0 });
  });

  it('asks only the cluster-wide permissions one by one when the namespace exists: its RoleBindings grant nothing cluster-wide', async () => {
    await core.createNamespace({ body: { metadata: { name: 'eks-connector', labels: { 'app.kubernetes.io/managed-by': 'eks-connector-vscode' } } } });
    try {
      let checks: Awaited<ReturnType<typeof clusterPreflight>> = [];
      const asked = await reviewsDuring(kube, async () => { checks = await clusterPreflight(admin(), connectorPreflightPlan(CONSOLE_USER)); });
      assert.equal(checks[1].status, 'pass', checks[1].reason);
      assert.equal(asked.rules, 1);
      assert.ok(asked.access > 0, 'cluster-wide permissions are asked one by one');
    } finally {
      await core.deleteNamespace({ name: 'eks-connector' });
      await connectorNamespaceGone(kube.kubeConfig('sandbox-admin'));
    }
  });

  it('passes a user who may not impersonate but may escalate and bind the impersonation role, asking only that', async () => {
    const user = 'preflight-escalator';
    const role = { metadata: { name: user }, rules: [
      { apiGroups: ['*'], resources: ['*'], verbs: ['get', 'list', 'create', 'patch', 'update'] },
      { apiGroups: [RBAC], resources: ['clusterroles', 'roles'], verbs: ['escalate', 'bind'] },
      { nonResourceURLs: ['/version'], verbs: ['get'] },
    ] };
    await rbac.createClusterRole({ body: role });
    await rbac.createClusterRoleBinding({ body: { metadata: { name: user }, roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: user }, subjects: [{ kind: 'User', name: user, apiGroup: RBAC }] } });
    try {
      let checks: Awaited<ReturnType<typeof clusterPreflight>> = [];
      const asked = await reviewsDuring(kube, async () => { checks = await clusterPreflight(actingAs(kube, user), connectorPreflightPlan(CONSOLE_USER)); });
      assert.equal(checks[1].status, 'pass', `${checks[1].reason}\n${checks[1].details?.join('\n')}`);
      assert.ok(asked.access >= 1 && asked.access <= 3, `only impersonation (and at most its escalate/bind alternatives) is asked, nothing the rules grant (${asked.access} asked)`);
    } finally {
      await rbac.deleteClusterRoleBinding({ name: user });
      await rbac.deleteClusterRole({ name: user });
    }
  });
});

describe('KubeCluster connections and credentials (real API server)', function () {
  this.timeout(60_000);
  let kube: RunningKubeCluster;
  let dir: string;
  let proxy: FaultProxy | undefined;

  before(async () => {
    kube = await sharedCluster();
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-plugin-'));
  });
  afterEach(async () => {
    await proxy?.stop();
    proxy = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function kubeconfig(server: string, user: { token?: string; exec?: unknown }): k8s.KubeConfig {
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'sandbox', server, caFile: kube.caFile, skipTLSVerify: false }],
      users: [{ name: 'user', ...user }],
      contexts: [{ name: 'ctx', cluster: 'sandbox', user: 'user' }],
      currentContext: 'ctx',
    });
    return kc;
  }

  /** An exec credential plugin that logs each run and prints `token` (or fails when none is given). */
  function plugin(token: string | undefined): { exec: unknown; runs: () => number } {
    const runs = path.join(dir, 'runs');
    const file = path.join(dir, 'plugin.js');
    fs.writeFileSync(file, `require('fs').appendFileSync(${JSON.stringify(runs)}, 'run\\n');` + (token
      ? `process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: ${JSON.stringify(token)}, expirationTimestamp: new Date(Date.now() + 3600e3).toISOString() } }));`
      : `process.stderr.write('no credentials'); process.exit(1);`));
    return {
      exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [file], interactiveMode: 'Never' },
      runs: () => (fs.existsSync(runs) ? fs.readFileSync(runs, 'utf8').split('\n').filter(Boolean).length : 0),
    };
  }

  it('keeps one connection open for requests one after another', async () => {
    proxy = await FaultProxy.start(kube.server);
    const cluster = new KubeCluster(kubeconfig(proxy.url, { token: kube.tokens.admin }));
    for (let i = 0; i < 5; i++) await cluster.version();
    assert.equal(proxy.connectionsAccepted, 1);
  });

  it('runs an exec credential plugin once for requests started together, and authenticates with its token', async () => {
    const exec = plugin(kube.tokens.admin);
    const checks = await clusterPreflight(new KubeCluster(kubeconfig(kube.server, { exec: exec.exec })), connectorPreflightPlan(CONSOLE_USER));
    assert.deepEqual(checks.map((c) => c.status), ['pass', 'pass', 'pass', 'pass', 'pass'], checks.map((c) => `${c.id}: ${c.reason}`).join('\n'));
    assert.equal(exec.runs(), 1);
  });

  it('stops the other checks, and runs the failing plugin once, when the API server check fails', async () => {
    const exec = plugin(undefined);
    const checks = await clusterPreflight(new KubeCluster(kubeconfig(kube.server, { exec: exec.exec })), connectorPreflightPlan(CONSOLE_USER));
    assert.equal(checks[0].status, 'fail');
    assert.deepEqual(checks.slice(1).map((c) => c.status), ['warn', 'warn', 'warn', 'warn']);
    assert.equal(exec.runs(), 1);
  });
});

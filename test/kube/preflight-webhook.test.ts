// The cluster pre-flight on an API server that asks an authorization webhook before RBAC, as GKE and AKS do. Such a
// server marks every SelfSubjectRulesReview incomplete, so the pre-flight must not trust the rules it lists and
// must ask access reviews instead. The webhook is a real SubjectAccessReview endpoint (it has no opinion on
// anything, so RBAC decides); the API server is the real one, started for this suite alone.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import { startKubeCluster, type RunningKubeCluster } from '../../scripts/kube/cluster';
import { KubeCluster } from '../../src/core/kube/kubeCluster';
import { clusterPreflight } from '../../src/core/connector/preflight';
import { actingAs, connectorPreflightPlan } from './shared';

const CONSOLE_USER = 'arn:aws:iam::123456789012:role/Admin';
const RBAC = 'rbac.authorization.k8s.io';
const ADMIN = 'webhook-cluster-admin';


/** An authorization webhook with no opinion: every SubjectAccessReview is answered allowed=false, denied=false. */
class NoOpinionAuthorizer {
  readonly users = new Map<string, number>();
  /** "user verb group/resource name" of every review about a resource. */
  readonly asked: string[] = [];
  private readonly server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const review = JSON.parse(body || '{}') as { spec?: { user?: string; resourceAttributes?: { verb?: string; group?: string; resource?: string; name?: string } } };
      const user = review.spec?.user ?? '';
      this.users.set(user, (this.users.get(user) ?? 0) + 1);
      const r = review.spec?.resourceAttributes;
      if (r) this.asked.push(`${user} ${r.verb} ${r.group ?? ''}/${r.resource} ${r.name ?? ''}`.trim());
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', status: { allowed: false } }));
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/authorize`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}


describe('cluster pre-flight behind an authorization webhook (real API server)', function () {
  this.timeout(180_000);
  const authorizer = new NoOpinionAuthorizer();
  let kube: RunningKubeCluster | undefined;
  let dir: string;

  before(async () => {
    const url = await authorizer.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-webhook-test-'));
    kube = await startKubeCluster({ dir, seed: 'sample', authorizationWebhook: { url }, log: (line) => console.log(`      [kube-webhook] ${line}`) });
    await kube.kubeConfig('sandbox-admin').makeApiClient(k8s.RbacAuthorizationV1Api).createClusterRoleBinding({
      body: { metadata: { name: ADMIN }, roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'User', name: ADMIN, apiGroup: RBAC }] },
    });
  });

  after(async function () {
    this.timeout(60_000);
    await kube?.stop();
    await authorizer.stop();
    if (dir && !process.env.KUBE_TEST_KEEP) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('marks rules reviews incomplete, as managed clusters do', async () => {
    const rules = await actingAs(kube!, ADMIN).rulesFor('default');
    assert.equal(rules.incomplete, true);
    assert.ok((authorizer.users.get(ADMIN) ?? 0) > 0, 'the API server asked the webhook about the admin');
  });

  it('passes an admin by asking each permission, not trusting the incomplete rules', async () => {
    authorizer.asked.length = 0;
    const checks = await clusterPreflight(actingAs(kube!, ADMIN), connectorPreflightPlan(CONSOLE_USER));
    // Only an access review makes the API server ask about these for the admin: the pre-flight itself neither
    // impersonates the console user nor creates a ClusterRole.
    assert.ok(authorizer.asked.includes(`${ADMIN} impersonate /users ${CONSOLE_USER}`), authorizer.asked.filter((a) => a.startsWith(ADMIN)).join('\n'));
    assert.ok(authorizer.asked.some((a) => a.startsWith(`${ADMIN} create ${RBAC}/clusterroles`)), 'the ClusterRole permission was asked');
    const rights = checks.find((c) => c.id === 'adminRights');
    assert.ok(rights, checks.map((c) => c.id).join(', '));
    assert.equal(rights.status, 'pass', `${rights.reason}\n${rights.details?.join('\n')}`);
    assert.ok(checks.every((c) => c.status !== 'fail'), checks.map((c) => `${c.id} ${c.status}: ${c.reason}`).join('\n'));
  });

  it('refuses a viewer, naming what it may not do and how to fix it', async () => {
    const checks = await clusterPreflight(new KubeCluster(kube!.kubeConfig('sandbox-viewer')), connectorPreflightPlan(CONSOLE_USER));
    const rights = checks.find((c) => c.id === 'adminRights');
    assert.ok(rights);
    assert.equal(rights.status, 'fail');
    assert.match(`${rights.reason} ${rights.details?.join(' ')}`, /create/i);
    assert.match(rights.fix ?? '', /cluster-admin|admin/i);
    assert.ok((authorizer.users.get('sandbox-viewer') ?? 0) > 0, 'the viewer\'s access reviews went through the webhook too');
  });
});

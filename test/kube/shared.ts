// One kube-cluster (sample seed) for the whole test/kube run: started by the first suite that asks for it and
// stopped by a root-level after() hook. Set KUBE_TEST_KEEP=1 to keep its folder (logs, etcd data) afterwards.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { startKubeCluster, type RunningKubeCluster } from '../../scripts/kube/cluster';
import { KubeCluster } from '../../src/core/kube/kubeCluster';
import type { PlanObject, PreflightPlan } from '../../src/core/connector/preflight';
import { applyOrder, renderConnectorManifest } from '../../src/core/connector/manifest';

let running: Promise<RunningKubeCluster> | undefined;
let dir: string | undefined;

export function sharedCluster(): Promise<RunningKubeCluster> {
  if (!running) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-test-'));
    running = startKubeCluster({ dir, seed: 'sample', log: (line) => console.log(`      [kube] ${line}`) });
  }
  return running;
}

after(async function () {
  this.timeout(60_000);
  if (!running) return;
  const cluster = await running.catch(() => undefined);
  await cluster?.stop();
  if (dir && !process.env.KUBE_TEST_KEEP) fs.rmSync(dir, { recursive: true, force: true });
});

/** Polls `read` until `done` holds for its result; fails with the last value after `ms`. */
export async function eventually<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await read();
      if (done(last)) return last;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)?.slice(0, 600)}${lastError ? `; last error: ${String(lastError)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The API error a promise rejects with (fails the test when it resolves). */
export async function apiError(promise: Promise<unknown>): Promise<k8s.ApiException<unknown>> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof k8s.ApiException) return err;
    throw err;
  }
  throw new Error('expected the request to be refused, but it succeeded');
}

/** The `message` of a Kubernetes Status body (client-node keeps the body as text). */
export function statusMessage(err: k8s.ApiException<unknown>): string {
  const body = err.body;
  if (typeof body === 'string') {
    try {
      return (JSON.parse(body) as { message?: string }).message ?? body;
    } catch {
      return body;
    }
  }
  return (body as { message?: string } | undefined)?.message ?? err.message;
}

/** A KubeConfig for the cluster with a bearer token, optionally impersonating a user. */
export function tokenConfig(cluster: RunningKubeCluster, token: string, impersonateUser?: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'sandbox', server: cluster.server, caFile: cluster.caFile, skipTLSVerify: false }],
    users: [{ name: 'user', token, ...(impersonateUser ? { impersonateUser } : {}) }],
    contexts: [{ name: 'ctx', cluster: 'sandbox', user: 'user' }],
    currentContext: 'ctx',
  });
  return kc;
}

let counter = 0;
/**
 * A fresh namespace per test, so tests never see each other's objects. Waits for its `default` ServiceAccount:
 * the ServiceAccount admission plugin refuses pods until the serviceaccount controller has made it.
 */
export async function freshNamespace(kc: k8s.KubeConfig, prefix: string): Promise<string> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const name = `${prefix}-${++counter}`;
  await core.createNamespace({ body: { metadata: { name } } });
  await eventually(`ServiceAccount ${name}/default`, () => core.readNamespacedServiceAccount({ name: 'default', namespace: name }), () => true);
  return name;
}

/** Waits until no `eks-connector` namespace exists (a deleted one terminates for a few seconds). */
export async function connectorNamespaceGone(kubeConfig: k8s.KubeConfig): Promise<void> {
  const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  await eventually('the eks-connector namespace to be gone', () => core.readNamespace({ name: 'eks-connector' }).then(() => 'present', () => 'absent'), (s) => s === 'absent', 90_000);
}

/** The pre-flight plan of a connector install whose console access goes to `consoleUser`. */
export function connectorPreflightPlan(consoleUser: string): PreflightPlan {
  const manifest = renderConnectorManifest({
    clusterName: 'demo', region: 'us-west-2', activationId: '2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f',
    activationCode: 'q7Zr+Tn2/Wx9LmPk4Hs8Vd1Bc6Fy0GjUe3Ra', consoleAccess: [{ principalArn: consoleUser, scope: { kind: 'full' } }],
  });
  return { objects: applyOrder(manifest) as PlanObject[], impersonateUsers: [consoleUser], nodeSelector: true };
}

/** The admin's kubeconfig acting as `user` (impersonation), so the authorizers decide with that user's rights. */
export function actingAs(cluster: RunningKubeCluster, user: string): KubeCluster {
  const kc = cluster.kubeConfig('sandbox-admin');
  const current = kc.getCurrentUser()!;
  kc.users = kc.users.map((u) => (u.name === current.name ? { ...u, impersonateUser: user } : u));
  return new KubeCluster(kc);
}

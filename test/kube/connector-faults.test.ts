// The connection to the Kubernetes API server drops while the connector manifest is being applied: connect must
// roll back (delete what it applied, deregister from EKS) or say exactly what it could not remove, and the error must
// say what failed and what to do. The kube client goes through a fault proxy (test/support/faultProxy.ts) in front of
// the real API server; what is left behind is checked through a direct, unproxied client.
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { startEmulator, type RunningEmulator } from '../../emulator/src/server';
import { AwsSession } from '../../src/core/aws/session';
import { KubeCluster } from '../../src/core/kube/kubeCluster';
import { ConnectorError, ConnectorService, type ConnectPlan, type ConnectProgress } from '../../src/core/connector/connectorService';
import { FaultProxy, type DropRecord } from '../support/faultProxy';
import { sharedCluster, connectorNamespaceGone } from './shared';
import type { RunningKubeCluster } from '../../scripts/kube/cluster';

const ACCOUNT = '123456789012';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/AmazonEKSConnectorAgentRole`;
const REGION = 'us-west-2';
const MANAGED = 'app.kubernetes.io/managed-by=eks-connector-vscode';

/** The same context, but its cluster's server is the proxy (same CA: the certificate names 127.0.0.1). */
function throughProxy(kc: k8s.KubeConfig, server: string): k8s.KubeConfig {
  const proxied = new k8s.KubeConfig();
  proxied.loadFromOptions({
    clusters: kc.clusters.map((c) => ({ ...c, server })),
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.getCurrentContext(),
  });
  return proxied;
}

describe('connector faults: the API server connection drops during apply', function () {
  this.timeout(180_000);
  let kube: RunningKubeCluster;
  let emulator: RunningEmulator;
  let session: AwsSession;
  let admin: k8s.KubeConfig;
  let proxy: FaultProxy;
  let proxied: k8s.KubeConfig;
  let name = '';
  const savedEnv = { ...process.env };

  const plan = (clusterName: string): ConnectPlan => ({
    region: REGION, name: clusterName, provider: 'other', role: { kind: 'existing', arn: ROLE }, grants: [], nodeSelector: true,
  });
  const service = (kc: k8s.KubeConfig = proxied) => new ConnectorService({ session, kube: new KubeCluster(kc) });

  async function failure(promise: Promise<unknown>): Promise<ConnectorError> {
    const error = await promise.then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof ConnectorError, `expected a ConnectorError, got ${String(error)}`);
    return error;
  }

  /** What to do: the CLI prints it as "fix:"; a bare "could not be reached" leaves the user guessing. */
  function assertAdvice(error: ConnectorError, advice: RegExp): void {
    assert.match(error.fix ?? '', advice, `no advice in ${JSON.stringify({ message: error.message, fix: error.fix })}`);
  }

  /** The connector's cluster-wide RBAC and its namespace, as the API server has them (not through the proxy). */
  async function connectorObjects(): Promise<string[]> {
    const rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);
    const [roles, bindings] = await Promise.all([rbac.listClusterRole({ labelSelector: MANAGED }), rbac.listClusterRoleBinding({ labelSelector: MANAGED })]);
    const ns = await admin.makeApiClient(k8s.CoreV1Api).readNamespace({ name: 'eks-connector' }).then((n) => [`Namespace eks-connector (${n.status?.phase})`], () => []);
    return [...roles.items.map((r) => `ClusterRole ${r.metadata?.name}`), ...bindings.items.map((b) => `ClusterRoleBinding ${b.metadata?.name}`), ...ns];
  }

  /** The registration's status in the emulator; undefined once it is gone. */
  async function registration(clusterName: string): Promise<string | undefined> {
    const cluster = await new ConnectorService({ session }).aws.describe(REGION, clusterName);
    return cluster?.status;
  }

  /** Connects `clusterName`, calling `onApplied` with each object as it is reported applied. */
  function connect(clusterName: string, onApplied: (what: string) => void, progress: ConnectProgress[] = []): Promise<unknown> {
    // No waiting for ACTIVE: the failure comes during apply, and a drop that never fired then fails fast.
    return service().connect(plan(clusterName), {
      wait: false,
      onProgress: (p) => {
        progress.push(p);
        const applied = /^applied (.+) \(\d+\/\d+\)$/.exec(p.message);
        if (p.step === 'apply' && applied) onApplied(applied[1]);
      },
    });
  }

  before(async () => {
    kube = await sharedCluster();
    admin = kube.kubeConfig('sandbox-admin');
    await connectorNamespaceGone(admin);
    emulator = await startEmulator({
      seed: {
        accountId: ACCOUNT,
        timings: { deregisterSeconds: 1 },
        identities: [{ accessKeyId: 'AKIAFAULTPLATFORM001', arn: `arn:aws:iam::${ACCOUNT}:user/platform` }],
        iam: { roles: [{ name: 'AmazonEKSConnectorAgentRole', trustService: 'ssm.amazonaws.com' }] },
      },
    });
    Object.assign(process.env, { AWS_ENDPOINT_URL: emulator.url, AWS_ACCESS_KEY_ID: 'AKIAFAULTPLATFORM001', AWS_SECRET_ACCESS_KEY: 'x', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' });
    session = new AwsSession();
    proxy = await FaultProxy.start(kube.server);
    proxied = throughProxy(admin, proxy.url);
    // The proxy is a plain TCP pipe: the client still verifies the API server's certificate against the CA.
    assert.notEqual(proxied.getCurrentCluster()?.skipTLSVerify, true);
    assert.ok(proxied.getCurrentCluster()?.caData || proxied.getCurrentCluster()?.caFile, 'the context pins the cluster CA');
    assert.ok((await new KubeCluster(proxied).version()).gitVersion);
  });

  afterEach(async () => {
    proxy.disarm();
    proxy.restore();
    // Whatever a failed test left, later suites share this cluster: remove it through the direct client.
    await new ConnectorService({ session, kube: new KubeCluster(admin) }).deregister({ region: REGION, name });
    await connectorNamespaceGone(admin);
  });

  after(async () => {
    await proxy?.stop();
    session?.dispose();
    await emulator?.close();
    process.env = savedEnv;
  });

  it('a request dropped before the API server saw it: rolls back everything and says what failed and what to do', async () => {
    name = 'dropped-request';
    const progress: ConnectProgress[] = [];
    let drop: Promise<DropRecord> | undefined;
    // The Namespace is in; the next request (the ServiceAccount) never reaches the API server.
    const error = await failure(connect(name, (what) => {
      if (what === 'Namespace eks-connector') drop ??= proxy.dropNext('request');
    }, progress));
    assert.ok(drop, 'the apply got as far as the Namespace');
    assert.equal((await drop).point, 'request');

    assert.equal(error.category, 'cluster');
    assert.match(error.message, /^Applying ServiceAccount eks-connector\/eks-connector failed: /);
    assert.ok(error.message.includes(`The API server ${proxy.url} of context "sandbox-admin" could not be reached (ECONNRESET)`), error.message);
    assert.match(error.message, /Everything created was removed\.$/);
    assert.deepEqual(error.remaining, []);

    assert.ok(progress.some((p) => p.step === 'rollback'), 'a rollback ran');
    await connectorNamespaceGone(admin);
    assert.deepEqual(await connectorObjects(), []);
    const status = await registration(name);
    assert.ok(status === undefined || status === 'DELETING', `the registration was deregistered (status ${status})`);
    assertAdvice(error, /retry/i);
  });

  it('a response lost after the API server stored a cluster-wide object: that object is rolled back too', async () => {
    name = 'dropped-response';
    let drop: Promise<DropRecord> | undefined;
    let storedBeforeDrop = false;
    // After the namespaced Role comes the first ClusterRole: the server stores it, its answer never arrives.
    const error = await failure(connect(name, (what) => {
      if (what !== 'Role eks-connector/eks-connector-secret-access') return;
      drop ??= proxy.dropNext('response', {
        beforeDrop: async () => {
          storedBeforeDrop = await admin.makeApiClient(k8s.RbacAuthorizationV1Api).readClusterRole({ name: 'eks-connector-cluster-meta-access' }).then(() => true, () => false);
        },
      });
    }));
    assert.ok(drop, 'the apply got as far as the Role');
    const dropped = await drop;
    assert.ok(dropped.heldBytes > 0 && storedBeforeDrop, `the API server stored the ClusterRole and answered: ${JSON.stringify({ ...dropped, storedBeforeDrop })}`);

    // The client cannot know whether the server applied it, so the rollback must delete it (an absent object is fine).
    await connectorNamespaceGone(admin);
    const left = await connectorObjects();
    assert.deepEqual(left, [], `rollback reported ${JSON.stringify(error.remaining)} remaining (message: ${error.message}) but the cluster still has: ${left.join(', ')}`);
    const status = await registration(name);
    assert.ok(status === undefined || status === 'DELETING', `the registration was deregistered (status ${status})`);

    assert.equal(error.category, 'cluster');
    assert.match(error.message, /^Applying ClusterRole eks-connector-cluster-meta-access failed: /);
    assert.match(error.message, /could not be reached \(ECONNRESET\)/);
    assertAdvice(error, /retry/i);
  });

  it('an API server that stays unreachable: deregisters from EKS and lists exactly the objects it could not delete', async () => {
    name = 'unreachable';
    let cut = false;
    // Namespace and ServiceAccount are in; from then on every connection is reset, the rollback's too.
    const error = await failure(connect(name, (what) => {
      if (what === 'ServiceAccount eks-connector/eks-connector' && !cut) {
        cut = true;
        proxy.cut();
      }
    }));
    assert.ok(cut, 'the apply got as far as the ServiceAccount');

    assert.equal(error.category, 'cluster');
    assert.match(error.message, /^Applying Secret eks-connector\/eks-connector-activation-config failed: .*could not be reached \(ECONNRESET\)/);
    // What was applied, and nothing about EKS: AWS was reachable, so the registration went. The Secret whose apply
    // failed may be named as well (it is not there: its connection was reset before the request left).
    assert.equal(error.remaining.length, 1, error.remaining.join('\n'));
    const listed = /^connector objects in the cluster \(([^)]*)\): .*could not be reached \(ECONNRESET\)/.exec(error.remaining[0]);
    assert.ok(listed, error.remaining[0]);
    assert.match(listed[1], /^Namespace eks-connector, ServiceAccount eks-connector\/eks-connector(, Secret eks-connector\/eks-connector-activation-config)?$/);
    assert.ok(error.message.endsWith(`Rollback could not remove: ${error.remaining[0].replace(/\.$/, '')}.`), `one full stop at the end: ${error.message}`);
    const status = await registration(name);
    assert.ok(status === undefined || status === 'DELETING', `the registration was deregistered (status ${status})`);

    // The account is true: exactly those two objects are still there.
    const core = admin.makeApiClient(k8s.CoreV1Api);
    assert.equal((await core.readNamespace({ name: 'eks-connector' })).status?.phase, 'Active');
    assert.ok(await core.readNamespacedServiceAccount({ name: 'eks-connector', namespace: 'eks-connector' }));
    assert.deepEqual((await core.listNamespacedSecret({ namespace: 'eks-connector', labelSelector: MANAGED })).items, []);
    assert.deepEqual(await connectorObjects(), ['Namespace eks-connector (Active)']);

    // Once the API server is back, deregister removes the leftovers (through the proxy, as the user would).
    proxy.restore();
    await new ConnectorService({ session }).aws.waitForStatus(REGION, name, { until: [], intervalMs: 200 });
    const report = await service().deregister({ region: REGION, name });
    assert.deepEqual(report.remaining, []);
    assert.ok(report.done.includes('deleted Namespace eks-connector'), report.done.join('\n'));
    assert.ok(report.done.includes('deleted ServiceAccount eks-connector/eks-connector'), report.done.join('\n'));
    await connectorNamespaceGone(admin);
    assertAdvice(error, /retry|deregister/i);
  });
});

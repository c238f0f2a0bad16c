// src/core/kube/kubeCluster.ts against the real API server: ordered server-side apply with a field manager,
// idempotent re-apply, conflicts with another manager, delete of present and absent objects, access reviews as
// admin and viewer, SelfSubjectReview, and the pod watch (CrashLoopBackOff, a dropped connection, abort).
import assert from 'node:assert/strict';
import net from 'node:net';
import * as k8s from '@kubernetes/client-node';
import type { RunningKubeCluster } from '../../scripts/kube/cluster';
import { KubeOperationError } from '../../src/core/kube/errors';
import {
  KubeApplyError, KubeCluster, describeAccess, type AppliedObject, type ManifestObject, type PodEvent,
} from '../../src/core/kube/kubeCluster';
import { eventually, freshNamespace, sharedCluster, tokenConfig } from './shared';

const FIELD_MANAGER = 'eks-connector-vscode';

/** A loopback TCP relay to the API server whose connections the test can cut, as a flaky network would. */
class CuttableProxy {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly target: URL) {
    this.server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port), target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return `https://127.0.0.1:${this.port}`;
  }

  /** Client-side connections currently open (each has an upstream twin). */
  get open(): number {
    return this.sockets.size / 2;
  }

  cutAll(): void {
    for (const s of this.sockets) s.destroy();
  }

  async stop(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function configMap(namespace: string, name: string, data: Record<string, string>): ManifestObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data } as ManifestObject;
}

function bareFixture(namespace: string, name: string): k8s.V1Pod {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels: { app: 'watched' } },
    spec: { containers: [{ name: 'main', image: 'public.ecr.aws/docker/library/busybox:1.37', command: ['sleep', 'infinity'] }] },
  };
}

describe('core/kube: KubeCluster against the real API server', function () {
  this.timeout(60_000);
  let cluster: RunningKubeCluster;
  let admin: KubeCluster;
  let viewer: KubeCluster;
  let adminKc: k8s.KubeConfig;

  before(async function () {
    this.timeout(180_000);
    cluster = await sharedCluster();
    adminKc = cluster.kubeConfig('sandbox-admin');
    admin = new KubeCluster(adminKc);
    viewer = new KubeCluster(cluster.kubeConfig('sandbox-viewer'));
  });

  it('knows its server, version and who the user is', async function () {
    assert.equal(admin.serverUrl, cluster.server);
    assert.equal(admin.contextName, 'sandbox-admin');
    assert.equal((await admin.version()).gitVersion, 'v1.36.3');
    const me = await admin.whoAmI();
    assert.equal(me.username, 'sandbox-admin');
    assert.ok(me.groups.includes('system:masters'), me.groups.join(', '));
    const them = await viewer.whoAmI();
    assert.equal(them.username, 'sandbox-viewer');
    assert.ok(!them.groups.includes('system:masters'));
    assert.ok((await admin.apiGroups()).includes('rbac.authorization.k8s.io'));
  });

  describe('apply and delete', function () {
    let ns: string;
    let objects: ManifestObject[];

    before(async function () {
      ns = `core-apply-${Date.now() % 100_000}`;
      objects = [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'app.kubernetes.io/managed-by': FIELD_MANAGER } } },
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'eks-connector', namespace: ns }, automountServiceAccountToken: false } as ManifestObject,
        configMap(ns, 'eks-connector-agent', { 'amazon-ssm-agent.json': '{"Agent":{"ContainerMode":true}}' }),
        {
          apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'eks-connector-secret-access', namespace: ns },
          rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'update'], resourceNames: ['eks-connector-state-0', 'eks-connector-state-1'] }],
        } as ManifestObject,
        {
          apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'eks-connector-secret-access', namespace: ns },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'eks-connector-secret-access' },
          subjects: [{ kind: 'ServiceAccount', name: 'eks-connector', namespace: ns }],
        } as ManifestObject,
      ];
    });

    after(async function () {
      this.timeout(60_000);
      await admin.delete([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }]).catch(() => undefined);
    });

    it('applies objects in the given order with the field manager, reporting each as created', async function () {
      const seen: string[] = [];
      const result = await admin.apply(objects, { fieldManager: FIELD_MANAGER, onApplied: (a, i, total) => seen.push(`${i + 1}/${total} ${a.ref.kind} ${a.action}`) });
      assert.deepEqual(seen, ['1/5 Namespace created', '2/5 ServiceAccount created', '3/5 ConfigMap created', '4/5 Role created', '5/5 RoleBinding created']);
      assert.equal(result.created.length, 5);
      assert.deepEqual(result.alreadyPresent, []);
      const stored = result.objects[2].object;
      assert.ok((stored.metadata?.managedFields ?? []).some((f) => f.manager === FIELD_MANAGER && f.operation === 'Apply'));
      const role = await admin.read<k8s.V1Role>(objects[3]);
      assert.deepEqual(role?.rules?.[0].resourceNames, ['eks-connector-state-0', 'eks-connector-state-1']);
    });

    it('re-applies idempotently (already present, unchanged), and tells an updated object', async function () {
      const again = await admin.apply(objects, { fieldManager: FIELD_MANAGER });
      assert.deepEqual(again.created, []);
      assert.equal(again.alreadyPresent.length, 5);
      assert.deepEqual(again.objects.map((o) => o.action), ['unchanged', 'unchanged', 'unchanged', 'unchanged', 'unchanged']);

      // Objects read back from the server (managedFields, resourceVersion) apply as well.
      const readBack = (await admin.read(objects[2])) as ManifestObject;
      const changed = { ...readBack, data: { 'amazon-ssm-agent.json': '{"Agent":{"ContainerMode":false}}' } } as ManifestObject;
      const updated = await admin.apply([changed], { fieldManager: FIELD_MANAGER });
      assert.equal(updated.objects[0].action, 'updated');
      assert.deepEqual(updated.alreadyPresent.map((r) => r.metadata.name), ['eks-connector-agent']);
    });

    it('stops at a field another manager owns, naming the manager and field; takes it over only when asked', async function () {
      const shared = configMap(ns, 'contested', { mode: 'ours' });
      await admin.apply([shared], { fieldManager: FIELD_MANAGER });
      // Someone else (say Helm) forces ownership of the same field.
      await k8s.KubernetesObjectApi.makeApiClient(adminKc).patch(configMap(ns, 'contested', { mode: 'theirs' }),
        undefined, undefined, 'helm', true, k8s.PatchStrategy.ServerSideApply);

      const before = configMap(ns, 'first-in-line', { ok: 'yes' });
      let thrown: unknown;
      try {
        await admin.apply([before, shared, configMap(ns, 'never-reached', {})], { fieldManager: FIELD_MANAGER });
      } catch (err) {
        thrown = err;
      }
      assert.ok(thrown instanceof KubeApplyError, String(thrown));
      assert.equal(thrown.described.kind, 'conflict');
      assert.equal(thrown.described.code, 409);
      assert.deepEqual(thrown.conflicts, [{ manager: 'helm', field: '.data.mode' }]);
      assert.match(thrown.described.reason, /owned by "helm": \.data\.mode \(helm\)/);
      assert.match(thrown.described.summary, /Applying ConfigMap .*\/contested failed/);
      assert.equal(thrown.failed.metadata.name, 'contested');
      assert.deepEqual(thrown.applied.map((a: AppliedObject) => a.ref.metadata.name), ['first-in-line']);
      assert.equal(await admin.exists(configMap(ns, 'never-reached', {})), false);
      assert.equal((await admin.read<k8s.V1ConfigMap>(shared))?.data?.mode, 'theirs');

      const forced = await admin.apply([shared], { fieldManager: FIELD_MANAGER, forceConflicts: true });
      assert.deepEqual(forced.objects[0].takenOver, [{ manager: 'helm', field: '.data.mode' }]);
      assert.equal((await admin.read<k8s.V1ConfigMap>(shared))?.data?.mode, 'ours');
    });

    it('refuses an apply as the viewer with a forbidden error naming the permission', async function () {
      let thrown: unknown;
      try {
        await viewer.apply([configMap(ns, 'viewer-try', {})], { fieldManager: FIELD_MANAGER });
      } catch (err) {
        thrown = err;
      }
      assert.ok(thrown instanceof KubeApplyError);
      assert.equal(thrown.described.kind, 'forbidden');
      assert.match(thrown.described.reason, /cannot patch resource "configmaps"/);
    });

    it('says so when the cluster does not serve a kind, and when the object is refused as invalid', async function () {
      const unserved = await admin.apply([{ apiVersion: 'route.example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: ns } }], { fieldManager: FIELD_MANAGER })
        .then(() => undefined, (err: unknown) => err);
      assert.ok(unserved instanceof KubeApplyError, String(unserved));
      assert.equal(unserved.described.kind, 'invalid');
      assert.equal(unserved.described.reason, 'The cluster does not serve Widget in route.example.com/v1.');
      const unknownKind = await admin.apply([{ apiVersion: 'v1', kind: 'Gizmo', metadata: { name: 'g', namespace: ns } }], { fieldManager: FIELD_MANAGER })
        .then(() => undefined, (err: unknown) => err);
      assert.ok(unknownKind instanceof KubeApplyError);
      assert.equal(unknownKind.described.kind, 'invalid');
      assert.equal(unknownKind.described.reason, 'The cluster does not serve Gizmo in v1.');

      const invalid = await admin.apply([configMap(ns, 'bad-key', { 'not a key!': 'x' })], { fieldManager: FIELD_MANAGER }).then(() => undefined, (err: unknown) => err);
      assert.ok(invalid instanceof KubeApplyError);
      assert.equal(invalid.described.kind, 'invalid');
      assert.equal(invalid.described.code, 422);
      assert.match(invalid.described.reason, /ConfigMap "bad-key" is invalid: data\[not a key!\]: Invalid value/);
    });

    it('deletes present objects and reports absent ones (unknown kinds included), waiting when asked', async function () {
      const extra = configMap(ns, 'to-delete', { a: 'b' });
      await admin.apply([extra], { fieldManager: FIELD_MANAGER });
      const result = await admin.delete([
        extra,
        configMap(ns, 'was-never-there', {}),
        { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: ns } },
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: `${ns}-missing` } },
      ], { propagation: 'Foreground', wait: true });
      assert.deepEqual(result.deleted.map((r) => r.metadata.name), ['to-delete']);
      assert.deepEqual(result.absent.map((r) => r.metadata.name), ['was-never-there', 'w', `${ns}-missing`]);
      assert.equal(await admin.exists(extra), false);

      const viewerErr = await viewer.delete([objects[2]]).then(() => undefined, (err: unknown) => err);
      assert.ok(viewerErr instanceof KubeOperationError);
      assert.equal(viewerErr.described.kind, 'forbidden');
    });
  });

  describe('canI', function () {
    const reviews = [
      { verb: 'create', group: '', resource: 'namespaces' },
      { verb: 'create', group: '', resource: 'secrets', namespace: 'eks-connector' },
      { verb: 'create', group: 'rbac.authorization.k8s.io', resource: 'clusterroles' },
      { verb: 'create', group: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings' },
      { verb: 'patch', group: 'apps', resource: 'statefulsets', namespace: 'eks-connector', name: 'eks-connector' },
      { verb: 'impersonate', group: '', resource: 'users', name: 'arn:aws:iam::111122223333:role/Admin' },
      { verb: 'get', group: '', resource: 'pods', namespace: 'shop' },
      { verb: 'get', group: '', resource: 'pods', namespace: 'shop', subresource: 'log' },
      { verb: 'get', nonResourceURL: '/version' },
    ];

    it('allows everything for the cluster admin', async function () {
      const decisions = await admin.canI(reviews);
      assert.equal(decisions.length, reviews.length);
      assert.deepEqual(decisions.map((d) => d.allowed), reviews.map(() => true));
      assert.deepEqual(decisions.map((d) => d.review), reviews, 'decisions come back in the order asked');
    });

    it('denies the viewer every create, patch and impersonate, and lists them', async function () {
      const decisions = await viewer.canI(reviews);
      const denied = decisions.filter((d) => !d.allowed).map((d) => describeAccess(d.review));
      assert.deepEqual(denied, [
        'create namespaces',
        'create secrets in namespace eks-connector',
        'create rbac.authorization.k8s.io/clusterroles',
        'create rbac.authorization.k8s.io/clusterrolebindings',
        'patch apps/statefulsets "eks-connector" in namespace eks-connector',
        'impersonate users "arn:aws:iam::111122223333:role/Admin"',
      ]);
      const allowed = decisions.filter((d) => d.allowed);
      assert.deepEqual(allowed.map((d) => describeAccess(d.review)), ['get pods in namespace shop', 'get pods/log in namespace shop', 'get /version']);
      assert.match(allowed[0].reason ?? '', /sandbox-viewer-view|view/);
    });
  });

  describe('watchPods', function () {
    it('sees a pod go to CrashLoopBackOff, and stops cleanly on abort', async function () {
      const ns = await freshNamespace(adminKc, 'core-watch');
      const core = adminKc.makeApiClient(k8s.CoreV1Api);
      await core.createNamespacedPod({ namespace: ns, body: bareFixture(ns, 'victim') });
      await eventually('victim Running', () => core.readNamespacedPod({ name: 'victim', namespace: ns }), (p) => p.status?.phase === 'Running');

      const events: PodEvent[] = [];
      const controller = new AbortController();
      const watching = admin.watchPods(ns, 'app=watched', (e) => events.push(e), controller.signal);
      await eventually('the initial ADDED', async () => events, (e) => e.some((x) => x.type === 'ADDED' && x.pod.metadata?.name === 'victim'));
      assert.equal(events[0].resync, false);
      assert.ok(events[0].pod.metadata?.creationTimestamp instanceof Date, 'list items are typed objects');

      await cluster.simulatePodState(ns, 'victim', 'CrashLoopBackOff');
      const crash = await eventually('a CrashLoopBackOff event', async () => events.find((e) => e.type === 'MODIFIED'
        && e.pod.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff'), (e) => e !== undefined);
      assert.equal(crash!.resync, false, 'it came from the watch, not a re-list');
      assert.ok(crash!.pod.metadata?.creationTimestamp instanceof Date, 'watch events are typed like list items');

      controller.abort();
      await watching; // resolves once the connection is closed
      const count = events.length;
      // A second watch, still open, sees the deletion: once it has, the aborted watch would have been sent it too.
      const witnessed: PodEvent[] = [];
      const witness = new AbortController();
      const witnessing = admin.watchPods(ns, 'app=watched', (e) => witnessed.push(e), witness.signal);
      await eventually('the witness\'s ADDED', async () => witnessed, (e) => e.some((x) => x.type === 'ADDED'));
      await core.deleteNamespacedPod({ name: 'victim', namespace: ns, gracePeriodSeconds: 0 });
      await eventually('the witness to see the deletion', async () => witnessed, (e) => e.some((x) => x.type === 'DELETED'));
      witness.abort();
      await witnessing;
      assert.equal(events.length, count, 'no event after abort');
      await core.deleteNamespace({ name: ns });
    });

    it('re-lists and resumes after the connection drops, and leaves no connection open after abort', async function () {
      const ns = await freshNamespace(adminKc, 'core-drop');
      const core = adminKc.makeApiClient(k8s.CoreV1Api);
      await core.createNamespacedPod({ namespace: ns, body: bareFixture(ns, 'first') });
      const proxy = new CuttableProxy(new URL(cluster.server));
      const proxied = tokenConfig({ ...cluster, server: await proxy.start() }, cluster.tokens.admin);
      const through = new KubeCluster(proxied);

      const events: PodEvent[] = [];
      const retries: string[] = [];
      const controller = new AbortController();
      const watching = through.watchPods(ns, 'app=watched', (e) => events.push(e), controller.signal, { onRetry: (d) => retries.push(d.kind) });
      try {
        await eventually('first ADDED', async () => events, (e) => e.some((x) => x.pod.metadata?.name === 'first'));
        await eventually('the watch connection', async () => proxy.open, (n) => n >= 1);

        proxy.cutAll();
        // Changes while the watch is down reach us through the re-list; later ones through the resumed watch.
        await core.createNamespacedPod({ namespace: ns, body: bareFixture(ns, 'second') });
        await core.deleteNamespacedPod({ name: 'first', namespace: ns, gracePeriodSeconds: 0 });
        await eventually('second ADDED', async () => events, (e) => e.some((x) => x.type === 'ADDED' && x.pod.metadata?.name === 'second'));
        await eventually('first DELETED', async () => events, (e) => e.some((x) => x.type === 'DELETED' && x.pod.metadata?.name === 'first'));
        assert.equal(events.filter((e) => e.type === 'ADDED' && e.pod.metadata?.name === 'first').length, 1, 'no duplicate ADDED after the re-list');

        await core.createNamespacedPod({ namespace: ns, body: bareFixture(ns, 'third') });
        await eventually('third ADDED', async () => events, (e) => e.some((x) => x.type === 'ADDED' && x.pod.metadata?.name === 'third'));
      } finally {
        controller.abort();
        await watching;
      }
      await eventually('no connection left through the proxy', async () => proxy.open, (n) => n === 0, 5000);
      await proxy.stop();
      assert.ok(retries.every((k) => k === 'unreachable'), retries.join(', '));
      await core.deleteNamespace({ name: ns });
    });

    it('resolves at once when aborted before the watch connected, and rejects a forbidden watch', async function () {
      const controller = new AbortController();
      controller.abort();
      await admin.watchPods('shop', undefined, () => assert.fail('no event expected'), controller.signal);

      const stranger = new KubeCluster(tokenConfig(cluster, cluster.tokens.viewer, 'someone-without-rights'));
      const err = await stranger.watchPods('shop', undefined, () => undefined).then(() => undefined, (e: unknown) => e);
      // The viewer may not impersonate, so every request is refused: a non-retryable failure ends the watch.
      assert.ok(err instanceof KubeOperationError, String(err));
      assert.equal(err.described.kind, 'forbidden');
    });
  });
});

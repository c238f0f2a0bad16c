// The real API server, controllers, scheduler and simulated nodes, through @kubernetes/client-node: server-side
// apply, RBAC, watch, workloads, legacy service-account tokens, node labels and impersonation.
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import type { RunningKubeCluster } from '../../scripts/kube/cluster';
import { apiError, eventually, freshNamespace, sharedCluster, statusMessage, tokenConfig } from './shared';

const FIELD_MANAGER = 'eks-connector-vscode';

describe('kube-cluster: the real API server', function () {
  this.timeout(60_000);
  let cluster: RunningKubeCluster;
  let admin: k8s.KubeConfig;
  let core: k8s.CoreV1Api;
  let apps: k8s.AppsV1Api;
  let objects: k8s.KubernetesObjectApi;

  before(async function () {
    this.timeout(180_000);
    cluster = await sharedCluster();
    admin = cluster.kubeConfig('sandbox-admin');
    core = admin.makeApiClient(k8s.CoreV1Api);
    apps = admin.makeApiClient(k8s.AppsV1Api);
    objects = k8s.KubernetesObjectApi.makeApiClient(admin);
  });

  const apply = <T extends k8s.KubernetesObject>(obj: T, manager = FIELD_MANAGER, force = true) =>
    objects.patch(obj, undefined, undefined, manager, force, k8s.PatchStrategy.ServerSideApply);

  it('reports v1.36.3 and serves the kubeconfig contexts the harness wrote', async function () {
    const version = await admin.makeApiClient(k8s.VersionApi).getCode();
    assert.equal(version.gitVersion, 'v1.36.3');
    assert.deepEqual(admin.getContexts().map((c) => c.name).sort(), ['sandbox-admin', 'sandbox-viewer']);
    assert.equal(admin.getCurrentContext(), 'sandbox-admin');
  });

  it('server-side applies a StatefulSet with a field manager, refuses a conflicting apply, and runs its pods', async function () {
    const namespace = await freshNamespace(admin, 'ssa');
    const sts: k8s.V1StatefulSet = {
      apiVersion: 'apps/v1', kind: 'StatefulSet',
      metadata: { name: 'eks-connector', namespace, labels: { app: 'eks-connector' } },
      spec: {
        replicas: 2, serviceName: 'eks-connector', selector: { matchLabels: { app: 'eks-connector' } },
        template: {
          metadata: { labels: { app: 'eks-connector' } },
          spec: {
            nodeSelector: { 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' },
            containers: [{ name: 'connector-agent', image: 'public.ecr.aws/eks/eks-connector:v0.0.9' }],
          },
        },
      },
    };
    const applied = await apply(sts);
    const managers = (applied.metadata?.managedFields ?? []).map((f) => `${f.manager}/${f.operation}`);
    assert.ok(managers.includes(`${FIELD_MANAGER}/Apply`), `managedFields: ${managers.join(', ')}`);

    // Another manager changing a field this one owns is a conflict unless forced.
    const conflict = await apiError(apply({ ...sts, spec: { ...sts.spec!, replicas: 3 } }, 'someone-else', false));
    assert.equal(conflict.code, 409);
    assert.match(statusMessage(conflict), /conflict/i);

    const ready = await eventually('StatefulSet ready', () => apps.readNamespacedStatefulSet({ name: 'eks-connector', namespace }),
      (s) => s.status?.readyReplicas === 2);
    assert.equal(ready.status?.replicas, 2);
    const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=eks-connector' });
    assert.deepEqual(pods.items.map((p) => p.metadata?.name).sort(), ['eks-connector-0', 'eks-connector-1']);
    for (const pod of pods.items) {
      assert.equal(pod.status?.phase, 'Running');
      assert.match(pod.spec?.nodeName ?? '', /amd64/, 'the nodeSelector keeps pods off the arm64 node');
    }
  });

  it('server-side applies Role, ClusterRole with resourceNames and their bindings', async function () {
    const namespace = await freshNamespace(admin, 'rbac');
    const arn = 'arn:aws:iam::111122223333:role/ConsoleAdmin';
    const role: k8s.V1Role = {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'eks-connector-secret-access', namespace },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'update'], resourceNames: ['eks-connector-state-0', 'eks-connector-state-1'] }],
    };
    const clusterRole: k8s.V1ClusterRole = {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: `${namespace}-impersonate` },
      rules: [{ apiGroups: [''], resources: ['users'], verbs: ['impersonate'], resourceNames: [arn] }],
    };
    const roleBinding: k8s.V1RoleBinding = {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'eks-connector-secret-access', namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'eks-connector-secret-access' },
      subjects: [{ kind: 'ServiceAccount', name: 'eks-connector', namespace }],
    };
    const clusterRoleBinding: k8s.V1ClusterRoleBinding = {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: `${namespace}-impersonate` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${namespace}-impersonate` },
      subjects: [{ kind: 'ServiceAccount', name: 'eks-connector', namespace }],
    };
    for (const obj of [role, clusterRole, roleBinding, clusterRoleBinding]) await apply(obj);

    const rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);
    const storedRole = await rbac.readClusterRole({ name: `${namespace}-impersonate` });
    assert.deepEqual(storedRole.rules?.[0].resourceNames, [arn]);
    assert.ok(storedRole.metadata?.managedFields?.some((f) => f.manager === FIELD_MANAGER && f.operation === 'Apply'));
    const storedBinding = await rbac.readNamespacedRoleBinding({ name: 'eks-connector-secret-access', namespace });
    assert.equal(storedBinding.subjects?.[0].name, 'eks-connector');
    // Re-applying the same objects is a no-op, not an error.
    for (const obj of [role, clusterRole, roleBinding, clusterRoleBinding]) await apply(obj);
  });

  it('refuses a create as sandbox-viewer with 403 Forbidden, while the viewer can still read', async function () {
    const viewer = cluster.kubeConfig('sandbox-viewer');
    const viewerCore = viewer.makeApiClient(k8s.CoreV1Api);
    const pods = await viewerCore.listNamespacedPod({ namespace: 'shop' });
    assert.ok(pods.items.length > 0);
    const err = await apiError(viewerCore.createNamespacedConfigMap({ namespace: 'shop', body: { metadata: { name: 'nope' }, data: { a: 'b' } } }));
    assert.equal(err.code, 403);
    assert.match(statusMessage(err), /configmaps is forbidden: User "sandbox-viewer" cannot create resource "configmaps" in API group "" in the namespace "shop"/);
    // `view` leaves Secrets out.
    const secrets = await apiError(viewerCore.listNamespacedSecret({ namespace: 'shop' }));
    assert.equal(secrets.code, 403);
  });

  it('streams a pod status change through a watch', async function () {
    const namespace = await freshNamespace(admin, 'watch');
    const seen: string[] = [];
    let abort: AbortController | undefined;
    const running = new Promise<void>((resolve, reject) => {
      new k8s.Watch(admin).watch(`/api/v1/namespaces/${namespace}/pods`, {}, (phase, obj: k8s.V1Pod) => {
        seen.push(`${phase}:${obj.status?.phase ?? ''}`);
        if (phase === 'MODIFIED' && obj.status?.phase === 'Running') resolve();
      }, (err: unknown) => { if (err) reject(err); }).then((controller) => { abort = controller; }, reject);
    });
    // Create the pod once the watch is established, so the whole lifecycle is seen.
    await eventually('the watch to start', async () => abort, (a) => a !== undefined);
    await core.createNamespacedPod({ namespace, body: { metadata: { name: 'watched' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } });
    await running;
    abort?.abort();
    assert.equal(seen[0], 'ADDED:Pending');
    assert.ok(seen.includes('MODIFIED:Running'), seen.join(' '));
  });

  it('runs a Deployment\'s pods on the simulated nodes with pod IPs from the node ranges', async function () {
    const namespace = await freshNamespace(admin, 'deploy');
    await apply({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace },
      spec: {
        replicas: 3, selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] } },
      },
    } as k8s.V1Deployment);
    const pods = await eventually('3 Running pods', () => core.listNamespacedPod({ namespace, labelSelector: 'app=web' }),
      (list) => list.items.length === 3 && list.items.every((p) => p.status?.phase === 'Running'));
    const nodes = new Map((await core.listNode()).items.map((n) => [n.metadata?.name, n]));
    for (const pod of pods.items) {
      assert.equal(pod.metadata?.ownerReferences?.[0].kind, 'ReplicaSet');
      const node = nodes.get(pod.spec?.nodeName);
      assert.ok(node, `pod ${pod.metadata?.name} is bound to a known node`);
      const prefix = node.spec?.podCIDR?.split('.').slice(0, 3).join('.');
      assert.ok(pod.status?.podIP?.startsWith(`${prefix}.`), `${pod.status?.podIP} is in ${node.spec?.podCIDR}`);
      assert.equal(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    }
    const deployment = await eventually('Deployment available', () => apps.readNamespacedDeployment({ name: 'web', namespace }),
      (d) => d.status?.availableReplicas === 3);
    assert.equal(deployment.status?.readyReplicas, 3);
  });

  it('populates a legacy service-account-token Secret, and the token authenticates', async function () {
    const namespace = await freshNamespace(admin, 'token');
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'eks-connector' } } });
    await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: 'eks-connector-token', annotations: { 'kubernetes.io/service-account.name': 'eks-connector' } },
        type: 'kubernetes.io/service-account-token',
      },
    });
    const secret = await eventually('token populated', () => core.readNamespacedSecret({ name: 'eks-connector-token', namespace }),
      (s) => Boolean(s.data?.token));
    assert.equal(Buffer.from(secret.data!.namespace, 'base64').toString(), namespace);
    assert.match(Buffer.from(secret.data!['ca.crt'], 'base64').toString(), /BEGIN CERTIFICATE/);
    const token = Buffer.from(secret.data!.token, 'base64').toString();
    const review = await tokenConfig(cluster, token).makeApiClient(k8s.AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    assert.equal(review.status?.userInfo?.username, `system:serviceaccount:${namespace}:eks-connector`);
  });

  it('labels the seeded nodes as a kubelet would', async function () {
    const nodes = (await core.listNode()).items;
    const byName = new Map(nodes.map((n) => [n.metadata?.name, n]));
    for (const name of ['sandbox-amd64-1', 'sandbox-amd64-2', 'sandbox-amd64-3', 'sandbox-arm64-1']) {
      const node = byName.get(name);
      assert.ok(node, `node ${name} exists`);
      const labels = node.metadata?.labels ?? {};
      const arch = name.includes('arm64') ? 'arm64' : 'amd64';
      assert.equal(labels['kubernetes.io/os'], 'linux');
      assert.equal(labels['kubernetes.io/arch'], arch);
      assert.equal(labels['kubernetes.io/hostname'], name);
      assert.match(labels['node.kubernetes.io/instance-type'], arch === 'arm64' ? /^m6g\./ : /^m5\./);
      assert.match(labels['topology.kubernetes.io/zone'], /^us-west-2[abc]$/);
      assert.equal(node.status?.nodeInfo?.architecture, arch);
      assert.equal(node.status?.nodeInfo?.kubeletVersion, 'v1.36.3');
      assert.equal(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
      assert.ok(!(node.spec?.taints ?? []).some((t) => t.key === 'node.kubernetes.io/not-ready'));
    }
  });

  it('adds nodes and workloads from a seed file, Windows included', async function () {
    const report = await cluster.applySeed('scripts/kube/seeds/windows.yaml');
    assert.equal(report.nodes, 1);
    const node = await core.readNode({ name: 'sandbox-windows-1' });
    assert.equal(node.metadata?.labels?.['kubernetes.io/os'], 'windows');
    assert.equal(node.status?.nodeInfo?.operatingSystem, 'windows');
    const pods = await core.listNamespacedPod({ namespace: 'legacy', labelSelector: 'app=iis' });
    assert.equal(pods.items.length, 2);
    for (const pod of pods.items) assert.equal(pod.spec?.nodeName, 'sandbox-windows-1');
  });

  describe('impersonation', function () {
    const allowed = 'arn:aws:iam::111122223333:role/ConsoleAdmin';
    const other = 'arn:aws:iam::111122223333:role/Intruder';

    it('lets the admin impersonate any user, who then has only that user\'s rights', async function () {
      const asUser = tokenConfig(cluster, cluster.tokens.admin, allowed);
      const review = await asUser.makeApiClient(k8s.AuthenticationV1Api).createSelfSubjectReview({ body: {} });
      assert.equal(review.status?.userInfo?.username, allowed);
      const err = await apiError(asUser.makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace: 'shop' }));
      assert.equal(err.code, 403);
      assert.match(statusMessage(err), new RegExp(`User "${allowed}" cannot list resource "pods"`));
    });

    it('lets a ServiceAccount impersonate only the users in its resourceNames', async function () {
      const namespace = await freshNamespace(admin, 'impersonate');
      await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'eks-connector' } } });
      await apply({
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: `${namespace}-service` },
        rules: [{ apiGroups: [''], resources: ['users'], verbs: ['impersonate'], resourceNames: [allowed] }],
      } as k8s.V1ClusterRole);
      await apply({
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: `${namespace}-service` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${namespace}-service` },
        subjects: [{ kind: 'ServiceAccount', name: 'eks-connector', namespace }],
      } as k8s.V1ClusterRoleBinding);
      const tokenRequest = await core.createNamespacedServiceAccountToken({
        name: 'eks-connector', namespace, body: { spec: { audiences: [], expirationSeconds: 3600 } },
      });
      const token = tokenRequest.status?.token ?? assert.fail('the TokenRequest returned no token');

      const review = await tokenConfig(cluster, token, allowed).makeApiClient(k8s.AuthenticationV1Api).createSelfSubjectReview({ body: {} });
      assert.equal(review.status?.userInfo?.username, allowed);

      const err = await apiError(tokenConfig(cluster, token, other).makeApiClient(k8s.AuthenticationV1Api).createSelfSubjectReview({ body: {} }));
      assert.equal(err.code, 403);
      assert.match(statusMessage(err),
        new RegExp(`users "${other}" is forbidden: User "system:serviceaccount:${namespace}:eks-connector" cannot impersonate resource "users" in API group "" at the cluster scope`));
    });
  });
});

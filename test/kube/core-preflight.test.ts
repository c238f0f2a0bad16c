// src/core/connector/preflight.ts and providerDetection.ts against real control planes: the shared sample-seed cluster
// (3 linux/amd64 nodes and an arm64 one) and a second small cluster whose only nodes are arm64 and Windows.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { startKubeCluster, type RunningKubeCluster } from '../../scripts/kube/cluster';
import { KubeCluster } from '../../src/core/kube/kubeCluster';
import {
  MANAGED_BY_LABEL, MANAGED_BY_VALUE, clusterPreflight, type PreflightCheck, type PreflightPlan, type PlanObject,
} from '../../src/core/connector/preflight';
import { detectProvider } from '../../src/core/kube/providerDetection';
import { eventually, sharedCluster, tokenConfig } from './shared';

const CONSOLE_USER = 'arn:aws:iam::111122223333:role/ConsoleAdmin';
let planCounter = 0;

/** The objects of the connector manifest and the impersonation RBAC, in apply order. */
function connectorPlan(options: { namespace?: string; nodeSelector?: boolean } = {}): PreflightPlan {
  const ns = options.namespace ?? `eks-connector-pf${++planCounter}`;
  const suffix = ns === 'eks-connector' ? '' : `-${ns}`;
  const rbac = 'rbac.authorization.k8s.io/v1';
  const objects: PlanObject[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } } },
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'eks-connector-activation-config', namespace: ns } },
    {
      apiVersion: rbac, kind: 'Role', metadata: { name: 'eks-connector-secret-access', namespace: ns },
      rules: [
        { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'update'], resourceNames: ['eks-connector-state-0', 'eks-connector-state-1'] },
        { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      ],
    },
    { apiVersion: rbac, kind: 'ClusterRole', metadata: { name: `eks-connector-cluster-meta-access${suffix}` }, rules: [{ nonResourceURLs: ['/version'], verbs: ['get'] }] },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'eks-connector', namespace: ns } },
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'eks-connector-token', namespace: ns } },
    { apiVersion: rbac, kind: 'RoleBinding', metadata: { name: 'eks-connector-secret-access', namespace: ns }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'eks-connector-secret-access' } },
    { apiVersion: rbac, kind: 'ClusterRoleBinding', metadata: { name: `eks-connector-cluster-meta-access${suffix}` }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `eks-connector-cluster-meta-access${suffix}` } },
    { apiVersion: rbac, kind: 'ClusterRole', metadata: { name: `eks-connector-service${suffix}` }, rules: [{ apiGroups: [''], resources: ['users'], verbs: ['impersonate'], resourceNames: [CONSOLE_USER] }] },
    { apiVersion: rbac, kind: 'ClusterRoleBinding', metadata: { name: `eks-connector-service${suffix}` }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `eks-connector-service${suffix}` } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'eks-connector-agent', namespace: ns } },
    {
      apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'eks-connector', namespace: ns },
      spec: {
        template: {
          spec: {
            serviceAccountName: 'eks-connector',
            tolerations: [{ key: 'node-role.kubernetes.io/master', effect: 'NoSchedule' }, { key: 'CriticalAddonsOnly', operator: 'Exists' }],
            containers: ['connector-agent', 'connector-proxy'].map((name) => ({
              name, image: 'public.ecr.aws/eks-connector/eks-connector:0.0.11',
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['all'], add: ['DAC_OVERRIDE'] } },
            })),
          },
        },
      },
    },
  ];
  return { objects, impersonateUsers: [CONSOLE_USER], nodeSelector: options.nodeSelector ?? true };
}

function check(checks: PreflightCheck[], id: PreflightCheck['id']): PreflightCheck {
  const found = checks.find((c) => c.id === id);
  assert.ok(found, `no check ${id}`);
  return found;
}

function show(checks: PreflightCheck[]): string {
  return checks.map((c) => `${c.id}: ${c.status} ${c.reason ?? ''}`).join('\n');
}

describe('core/kube: pre-flight and provider detection', function () {
  this.timeout(60_000);
  let cluster: RunningKubeCluster;
  let admin: KubeCluster;
  let adminKc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;

  before(async function () {
    this.timeout(180_000);
    cluster = await sharedCluster();
    adminKc = cluster.kubeConfig('sandbox-admin');
    admin = new KubeCluster(adminKc);
    core = adminKc.makeApiClient(k8s.CoreV1Api);
  });

  describe('on the sample seed', function () {
    const created: string[] = [];
    after(async function () {
      for (const name of created) await core.deleteNamespace({ name }).catch(() => undefined);
    });
    const namespace = async (name: string, labels: Record<string, string>, annotations: Record<string, string> = {}) => {
      await core.createNamespace({ body: { metadata: { name, labels, annotations } } });
      created.push(name);
    };

    it('passes as admin: version known, all rights, a linux/amd64 node (the arm64 node listed), namespace absent', async function () {
      const checks = await clusterPreflight(admin, connectorPlan());
      assert.deepEqual(checks.map((c) => c.id), ['apiServer', 'adminRights', 'nodes', 'namespace', 'podSecurity']);
      assert.deepEqual(checks.map((c) => c.status), ['pass', 'pass', 'pass', 'pass', 'pass'], show(checks));
      assert.match(check(checks, 'apiServer').reason!, /^Kubernetes v1\.36\.3 at https:\/\/127\.0\.0\.1:\d+ \(context "sandbox-admin"\)\.$/);
      assert.match(check(checks, 'adminRights').reason!, /User "sandbox-admin" may create and update Namespace, Secret, Role, ClusterRole, .*StatefulSet and grant impersonation of 1 user/);
      const nodes = check(checks, 'nodes');
      assert.match(nodes.reason!, /\d of \d+ nodes can run the connector: sandbox-amd64-1, sandbox-amd64-2, sandbox-amd64-3\./);
      assert.match(nodes.reason!, /Not used: .*sandbox-arm64-1 \(linux\/arm64, Ready\)/);
      assert.ok(nodes.details?.includes('sandbox-arm64-1 (linux/arm64, Ready)'), nodes.details?.join('\n'));
      assert.match(check(checks, 'namespace').reason!, /does not exist yet; it will be created/);
      assert.match(check(checks, 'podSecurity').reason!, /no Pod Security label, and a dry run of a connector pod under the cluster default was admitted/);
    });

    it('warns without a nodeSelector on the mixed cluster: pods may land on the arm64 node', async function () {
      const nodes = check(await clusterPreflight(admin, connectorPlan({ nodeSelector: false })), 'nodes');
      assert.equal(nodes.status, 'warn');
      assert.match(nodes.reason!, /may also land on .*sandbox-arm64-1 \(linux\/arm64, Ready\)/);
      assert.match(nodes.fix!, /Turn on the nodeSelector kubernetes\.io\/os=linux, kubernetes\.io\/arch=amd64/);
    });

    it('fails admin rights as sandbox-viewer, listing exactly what is missing', async function () {
      const plan = connectorPlan();
      const ns = plan.objects[0].metadata.name;
      const checks = await clusterPreflight(new KubeCluster(cluster.kubeConfig('sandbox-viewer')), plan);
      const rights = check(checks, 'adminRights');
      assert.equal(rights.status, 'fail', show(checks));
      assert.match(rights.reason!, /^User "sandbox-viewer" lacks \d+ permissions needed to install the connector: create namespaces; patch namespaces "eks-connector-pf\d+"; create secrets in namespace/);
      const details = rights.details!;
      for (const needed of [
        'create namespaces',
        `create secrets in namespace ${ns}`,
        `patch apps/statefulsets "eks-connector" in namespace ${ns}`,
        'create rbac.authorization.k8s.io/clusterrolebindings',
        `create rbac.authorization.k8s.io/roles in namespace ${ns}`,
      ]) assert.ok(details.includes(needed), `missing "${needed}" in:\n${details.join('\n')}`);
      const impersonate = details.find((d) => d.startsWith(`impersonate users "${CONSOLE_USER}"`));
      assert.ok(impersonate, details.join('\n'));
      assert.equal(impersonate, `impersonate users "${CONSOLE_USER}" (needed to grant it to the connector, unless you may escalate and bind rbac.authorization.k8s.io/clusterroles "eks-connector-service-${ns}")`);
      assert.ok(details.includes(`update secrets "eks-connector-state-0" in namespace ${ns} (needed to grant it to the connector, unless you may escalate and bind rbac.authorization.k8s.io/roles "eks-connector-secret-access" in namespace ${ns})`), details.join('\n'));
      assert.ok(!details.some((d) => d.startsWith('get /version')), 'the viewer holds get /version (system:public-info-viewer), so it may grant it');
      assert.match(rights.fix!, /cluster-admin/);
      // The viewer may not list nodes: that check cannot tell, rather than fail.
      assert.equal(check(checks, 'nodes').status, 'warn');
      assert.equal(check(checks, 'apiServer').status, 'pass');
    });

    it('lets a user with escalate and bind (but no impersonate) create the impersonation RBAC', async function () {
      const plan = connectorPlan();
      const rbac = k8s.KubernetesObjectApi.makeApiClient(adminKc);
      const name = `core-preflight-installer-${planCounter}`;
      const role = {
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name },
        rules: [
          { apiGroups: ['', 'apps', 'rbac.authorization.k8s.io'], resources: ['namespaces', 'secrets', 'serviceaccounts', 'configmaps', 'statefulsets', 'roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'], verbs: ['create', 'patch', 'get'] },
          { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles', 'roles'], verbs: ['escalate', 'bind'] },
        ],
      };
      const binding = {
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'installer' }],
      };
      await rbac.create(role);
      await rbac.create(binding);
      try {
        const installer = new KubeCluster(tokenConfig(cluster, cluster.tokens.admin, 'installer'));
        const withEscalate = check(await clusterPreflight(installer, plan), 'adminRights');
        assert.equal(withEscalate.status, 'pass', withEscalate.reason);
        assert.match(withEscalate.reason!, /^User "installer" may create and update/);

        // Without escalate/bind the same user would have to hold impersonate (and secrets get/update) itself.
        await rbac.patch({ ...role, rules: [role.rules[0]] }, undefined, undefined, 'test', true, k8s.PatchStrategy.ServerSideApply);
        const without = await eventually('the narrowed role to take effect', () => clusterPreflight(installer, plan), (c) => check(c, 'adminRights').status === 'fail');
        const details = check(without, 'adminRights').details!;
        assert.ok(details.some((d) => d.startsWith(`impersonate users "${CONSOLE_USER}" (needed to grant it to the connector`)), details.join('\n'));
        assert.ok(details.some((d) => d.startsWith(`update secrets "eks-connector-state-0" in namespace ${plan.objects[0].metadata.name}`)), details.join('\n'));
        assert.ok(!details.some((d) => d.startsWith('create ')), 'create and patch themselves are granted');
      } finally {
        await rbac.delete(binding).catch(() => undefined);
        await rbac.delete(role).catch(() => undefined);
      }
    });

    it('looks up kinds outside the manifest through discovery, and fails on a kind the cluster does not serve', async function () {
      const plan = connectorPlan();
      const ns = plan.objects[0].metadata.name;
      plan.objects.push({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'eks-connector', namespace: ns } });
      const viewerRights = check(await clusterPreflight(new KubeCluster(cluster.kubeConfig('sandbox-viewer')), plan), 'adminRights');
      assert.ok(viewerRights.details?.includes(`create policy/poddisruptionbudgets in namespace ${ns}`), viewerRights.details?.join('\n'));

      plan.objects.push({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: ns } });
      const rights = check(await clusterPreflight(admin, plan), 'adminRights');
      assert.equal(rights.status, 'fail');
      assert.equal(rights.reason, `The cluster does not serve example.com/v1 Widget (Widget ${ns}/w).`);
    });

    it('fails on a foreign eks-connector namespace (console, eksctl or Helm), naming where it came from', async function () {
      const plan = connectorPlan();
      const ns = plan.objects[0].metadata.name;
      await namespace(ns, {});
      const foreign = check(await clusterPreflight(admin, plan), 'namespace');
      assert.equal(foreign.status, 'fail');
      assert.match(foreign.reason!, new RegExp(`Namespace ${ns} already exists and was not created by this extension \\(no label app\\.kubernetes\\.io/managed-by=eks-connector-vscode\\)`));
      assert.match(foreign.reason!, /EKS console's manifest or by eksctl/);
      assert.match(foreign.fix!, new RegExp(`kubectl delete namespace ${ns}`));

      const helmPlan = connectorPlan();
      const helmNs = helmPlan.objects[0].metadata.name;
      await namespace(helmNs, { [MANAGED_BY_LABEL]: 'Helm' }, { 'meta.helm.sh/release-name': 'eks-connector' });
      await admin.apply([{
        apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'eks-connector', namespace: helmNs },
        spec: {
          replicas: 0, serviceName: 'eks-connector', selector: { matchLabels: { app: 'eks-connector' } },
          template: { metadata: { labels: { app: 'eks-connector' } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
        },
      } as PlanObject], { fieldManager: 'helm' });
      const helm = check(await clusterPreflight(admin, helmPlan), 'namespace');
      assert.equal(helm.status, 'fail');
      assert.match(helm.reason!, /belongs to the Helm release "eks-connector"/);
      assert.match(helm.reason!, /An EKS Connector StatefulSet is installed in it/);
      assert.match(helm.fix!, new RegExp(`helm -n ${helmNs} uninstall eks-connector`));
    });

    it('passes on our own labelled namespace as a resume, and fails when it enforces Pod Security "restricted"', async function () {
      const plan = connectorPlan();
      const ns = plan.objects[0].metadata.name;
      await namespace(ns, { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE });
      const resumed = await clusterPreflight(admin, plan);
      assert.equal(check(resumed, 'namespace').status, 'pass');
      assert.match(check(resumed, 'namespace').reason!, /created by this extension: connecting again resumes or repairs that installation/);
      assert.equal(check(resumed, 'podSecurity').status, 'pass');
      assert.match(check(resumed, 'podSecurity').reason!, new RegExp(`Namespace ${ns} has no Pod Security label, and a dry run of a connector pod was admitted`));

      await core.patchNamespace({ name: ns, body: [{ op: 'add', path: '/metadata/labels/pod-security.kubernetes.io~1enforce', value: 'restricted' }] });
      const restricted = check(await clusterPreflight(admin, plan), 'podSecurity');
      assert.equal(restricted.status, 'fail');
      assert.match(restricted.reason!, /enforces the Pod Security level "restricted"/);
      assert.match(restricted.fix!, new RegExp(`kubectl label --overwrite namespace ${ns} pod-security\\.kubernetes\\.io/enforce=baseline`));
      assert.match(restricted.fix!, /DAC_OVERRIDE/);

      // The check agrees with the API server: under restricted the connector pod is refused, under baseline admitted.
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'probe', namespace: ns }, spec: { containers: [{ name: 'c', image: 'x', securityContext: { capabilities: { add: ['DAC_OVERRIDE'] } } }] } };
      await assert.rejects(admin.apply([pod], { fieldManager: 'test', dryRun: true }), /violates PodSecurity "restricted/);
      await core.patchNamespace({ name: ns, body: [{ op: 'replace', path: '/metadata/labels/pod-security.kubernetes.io~1enforce', value: 'baseline' }] });
      assert.equal(check(await clusterPreflight(admin, plan), 'podSecurity').status, 'pass');
      await admin.apply([pod], { fieldManager: 'test', dryRun: true });
    });

    it('fails the API server check on an unreachable server, and skips the rest', async function () {
      const dead = new KubeCluster(tokenConfig({ ...cluster, server: 'https://127.0.0.1:1' }, 'x'), { requestTimeoutMs: 5000 });
      const checks = await clusterPreflight(dead, connectorPlan());
      assert.equal(check(checks, 'apiServer').status, 'fail');
      assert.match(check(checks, 'apiServer').reason!, /The API server https:\/\/127\.0\.0\.1:1 of context "ctx" could not be reached \(ECONNREFUSED\)/);
      assert.deepEqual(checks.slice(1).map((c) => c.status), ['warn', 'warn', 'warn', 'warn']);
      assert.match(checks[1].reason!, /Not checked/);
    });

    it('detects no provider on the plain cluster, and one once a marker exists', async function () {
      const plain = await detectProvider(admin);
      assert.equal(plain.provider, 'OTHER');
      assert.match(plain.evidence, /^no known provider markers: checked server version v1\.36\.3, \d+ API groups, \d+ nodes$/);

      const viewerGuess = await detectProvider(new KubeCluster(cluster.kubeConfig('sandbox-viewer')));
      assert.equal(viewerGuess.provider, 'OTHER');
      // A plain reason, not the API server's "nodes is forbidden: User … cannot list resource …", and no nested parentheses.
      assert.match(viewerGuess.evidence, /could not read nodes, not allowed for this context's user$/);
      assert.doesNotMatch(viewerGuess.evidence, /forbidden|cannot list|\([^)]*\(/);

      const dead = await detectProvider(new KubeCluster(tokenConfig({ ...cluster, server: 'https://127.0.0.1:1' }, 'x')));
      assert.equal(dead.provider, 'OTHER');
      assert.match(dead.evidence, /^the cluster could not be inspected: .*ECONNREFUSED/);
    });
  });

  describe('on a cluster whose only nodes are arm64 and Windows', function () {
    let other: RunningKubeCluster;
    let otherDir: string;
    let otherAdmin: KubeCluster;

    before(async function () {
      this.timeout(120_000);
      otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'core-preflight-nonamd64-'));
      other = await startKubeCluster({
        dir: otherDir, log: () => undefined,
        seed: {
          name: 'non-amd64',
          nodes: [
            { name: 'graviton-1', arch: 'arm64' },
            { name: 'windows-1', os: 'windows', taints: [{ key: 'os', value: 'windows', effect: 'NoSchedule' }] },
          ],
        },
      });
      otherAdmin = new KubeCluster(other.kubeConfig('sandbox-admin'));
    });

    after(async function () {
      this.timeout(60_000);
      await other?.stop();
      if (otherDir) fs.rmSync(otherDir, { recursive: true, force: true });
    });

    it('fails the node check with the nodeSelector, listing the nodes with their OS and architecture', async function () {
      const nodes = check(await clusterPreflight(otherAdmin, connectorPlan({ nodeSelector: true })), 'nodes');
      assert.equal(nodes.status, 'fail');
      assert.match(nodes.reason!, /No Ready, schedulable linux\/amd64 node for the nodeSelector/);
      assert.match(nodes.reason!, /graviton-1 \(linux\/arm64, Ready\), windows-1 \(windows\/amd64, Ready, taint os=windows:NoSchedule\)/);
      assert.match(nodes.fix!, /Add a Linux x86-64 \(amd64\) worker node/);
      assert.match(nodes.fix!, /Turning the nodeSelector off would let the pods try the other Linux nodes/);
    });

    it('only warns without the nodeSelector while a Linux arm64 node is Ready; fails once only Windows is left', async function () {
      const warned = check(await clusterPreflight(otherAdmin, connectorPlan({ nodeSelector: false })), 'nodes');
      assert.equal(warned.status, 'warn');
      assert.match(warned.reason!, /No Ready linux\/amd64 node\. Without a nodeSelector the connector pods will run on graviton-1 \(linux\/arm64, Ready\)/);

      const otherCore = other.kubeConfig('sandbox-admin').makeApiClient(k8s.CoreV1Api);
      await otherCore.patchNode({ name: 'graviton-1', body: { spec: { unschedulable: true } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
      const failed = check(await clusterPreflight(otherAdmin, connectorPlan({ nodeSelector: false })), 'nodes');
      assert.equal(failed.status, 'fail');
      assert.match(failed.reason!, /graviton-1 \(linux\/arm64, Ready, cordoned\)/);
      await otherCore.patchNode({ name: 'graviton-1', body: { spec: { unschedulable: false } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    });

    it('detects providers from markers: a Rancher namespace, an AKS node label, an OpenShift API group', async function () {
      assert.equal((await detectProvider(otherAdmin)).provider, 'OTHER');
      const kc = other.kubeConfig('sandbox-admin');
      const otherCore = kc.makeApiClient(k8s.CoreV1Api);

      await otherCore.createNamespace({ body: { metadata: { name: 'cattle-system' } } });
      assert.deepEqual(await detectProvider(otherAdmin), { provider: 'RANCHER', evidence: 'namespace cattle-system exists (Rancher agent)' });

      await otherCore.patchNode({ name: 'graviton-1', body: { metadata: { labels: { 'kubernetes.azure.com/cluster': 'MC_rg_aks1_westeurope' } } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
      assert.deepEqual(await detectProvider(otherAdmin), { provider: 'AKS', evidence: 'node graviton-1 has the label kubernetes.azure.com/cluster=MC_rg_aks1_westeurope' });

      // A CRD in route.openshift.io makes the API server serve that group, as OpenShift does.
      await k8s.KubernetesObjectApi.makeApiClient(kc).create({
        apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'routes.route.openshift.io' },
        spec: {
          group: 'route.openshift.io', scope: 'Namespaced', names: { plural: 'routes', singular: 'route', kind: 'Route' },
          versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
        },
      } as k8s.KubernetesObject);
      const openshift = await eventually('route.openshift.io served', () => detectProvider(otherAdmin), (g) => g.provider === 'OPENSHIFT');
      assert.equal(openshift.evidence, 'API group route.openshift.io is served');
    });
  });
});

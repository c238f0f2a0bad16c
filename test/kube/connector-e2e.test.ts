// Connecting a cluster end to end through the core service: the real control plane (shared sample cluster), the AWS
// emulator, and the simulated connector agent. register → ACTIVE → grant → revoke → deregister, RBAC proven by the
// API server, and failures at each step leaving nothing behind.
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { startEmulator, type RunningEmulator } from '../../emulator/src/server';
import { EmulatorControl } from '../../emulator/src/control-client';
import { AwsSession } from '../../src/core/aws/session';
import { KubeCluster } from '../../src/core/kube/kubeCluster';
import { ConnectorError, ConnectorService, type ConnectPlan, type ConnectProgress } from '../../src/core/connector/connectorService';
import { SecretRedactor } from '../../src/core/util/redact';
import { SimulatedConnectorAgent } from '../support/simulatedAgent';
import { sharedCluster, eventually, connectorNamespaceGone, statusMessage, tokenConfig } from './shared';
import type { RunningKubeCluster } from '../../scripts/kube/cluster';

const ACCOUNT = '123456789012';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/AmazonEKSConnectorAgentRole`;
const CALLER = `arn:aws:iam::${ACCOUNT}:user/platform`;
const OTHER = `arn:aws:iam::${ACCOUNT}:role/Auditor`;
const ALICE = `arn:aws:iam::${ACCOUNT}:user/alice`;
const CONNECTOR_SA = 'system:serviceaccount:eks-connector:eks-connector';

describe('connector end to end (core service, real API server, emulator, simulated agent)', function () {
  this.timeout(180_000);
  let kube: RunningKubeCluster;
  let emulator: RunningEmulator;
  let control: EmulatorControl;
  let session: AwsSession;
  let agent: SimulatedConnectorAgent;
  let admin: k8s.KubeConfig;
  const savedEnv = { ...process.env };
  const redactor = new SecretRedactor();

  const plan = (overrides: Partial<ConnectPlan> = {}): ConnectPlan => ({
    region: 'us-west-2', name: 'e2e-cluster', provider: 'other', role: { kind: 'existing', arn: ROLE }, grants: [], nodeSelector: true, ...overrides,
  });
  const service = (kc: k8s.KubeConfig = admin) => new ConnectorService({ session, kube: new KubeCluster(kc), redactor });

  /** Whether `user` may do `verb` on `resource` (group "" core), as the real authorizer decides. */
  async function allowed(user: string, verb: string, resource: string, name?: string, group = ''): Promise<boolean> {
    const review = await admin.makeApiClient(k8s.AuthorizationV1Api).createSubjectAccessReview({
      body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user, groups: ['system:authenticated'], resourceAttributes: { verb, resource, group, name } } },
    });
    return review.status?.allowed === true;
  }

  /**
   * What the EKS console can show `user`: the console's requests reach the cluster as the connector's ServiceAccount
   * impersonating that user, so this asks the real API server the same way (a SelfSubjectAccessReview).
   */
  async function consoleMay(user: string, verb: string, resource: string, namespace?: string): Promise<'allowed' | 'denied' | 'not impersonable'> {
    const core = admin.makeApiClient(k8s.CoreV1Api);
    const issued = await core.createNamespacedServiceAccountToken({ name: 'eks-connector', namespace: 'eks-connector', body: { spec: { audiences: [], expirationSeconds: 600 } } });
    const asUser = tokenConfig(kube, issued.status?.token ?? assert.fail('the TokenRequest returned no token'), user);
    try {
      const review = await asUser.makeApiClient(k8s.AuthorizationV1Api).createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { verb, resource, namespace } } } });
      return review.status?.allowed === true ? 'allowed' : 'denied';
    } catch (error) {
      if (error instanceof k8s.ApiException && error.code === 403 && /cannot impersonate/.test(statusMessage(error))) return 'not impersonable';
      throw error;
    }
  }

  async function registrationExists(name: string): Promise<boolean> {
    const state = await control.getState();
    return JSON.stringify(state).includes(`"${name}"`);
  }

  async function connectorObjects(): Promise<string[]> {
    const rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);
    const selector = 'app.kubernetes.io/managed-by=eks-connector-vscode';
    const [roles, bindings] = await Promise.all([rbac.listClusterRole({ labelSelector: selector }), rbac.listClusterRoleBinding({ labelSelector: selector })]);
    // A terminating namespace still counts: the next test could not create it again yet.
    const ns = await admin.makeApiClient(k8s.CoreV1Api).readNamespace({ name: 'eks-connector' }).then((n) => [`Namespace eks-connector (${n.status?.phase})`], () => []);
    return [...roles.items.map((r) => `ClusterRole ${r.metadata?.name}`), ...bindings.items.map((b) => `ClusterRoleBinding ${b.metadata?.name}`), ...ns];
  }

  /** Another tool owns a field of the connector's ConfigMap (as a Helm install would): server-side apply conflicts there. */
  async function plantConflict(): Promise<void> {
    const core = admin.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'eks-connector', labels: { 'app.kubernetes.io/managed-by': 'eks-connector-vscode' } } } });
    await core.createNamespacedConfigMap({ namespace: 'eks-connector', body: { metadata: { name: 'eks-connector-agent' }, data: { 'amazon-ssm-agent.json': '{}' } }, fieldManager: 'helm' });
  }

  before(async () => {
    kube = await sharedCluster();
    await connectorNamespaceGone(kube.kubeConfig('sandbox-admin'));
    admin = kube.kubeConfig('sandbox-admin');
    emulator = await startEmulator({
      seed: {
        accountId: ACCOUNT,
        timings: { deregisterSeconds: 1 },
        identities: [
          { accessKeyId: 'AKIAE2EPLATFORM00001', arn: CALLER },
          { accessKeyId: 'AKIAE2ENOREGISTER001', arn: `arn:aws:iam::${ACCOUNT}:user/no-register`, deny: [{ action: 'eks:RegisterCluster' }] },
          { accessKeyId: 'AKIAE2ENOACTIVATION1', arn: `arn:aws:iam::${ACCOUNT}:user/no-activation`, deny: [{ action: 'ssm:CreateActivation' }] },
          { accessKeyId: 'AKIAE2ENOPASSROLE001', arn: `arn:aws:iam::${ACCOUNT}:user/no-passrole`, deny: [{ action: 'iam:PassRole' }] },
          { accessKeyId: 'AKIAE2ENOCREATEROLE1', arn: `arn:aws:iam::${ACCOUNT}:user/no-createrole`, deny: [{ action: 'iam:CreateRole' }] },
        ],
        iam: { roles: [{ name: 'AmazonEKSConnectorAgentRole', trustService: 'ssm.amazonaws.com' }] },
      },
    });
    control = new EmulatorControl(emulator.url);
    Object.assign(process.env, { AWS_ENDPOINT_URL: emulator.url, AWS_ACCESS_KEY_ID: 'AKIAE2EPLATFORM00001', AWS_SECRET_ACCESS_KEY: 'x', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' });
    session = new AwsSession();
    agent = new SimulatedConnectorAgent(admin, emulator.url);
    agent.start(300);
  });

  after(async () => {
    agent?.stop();
    session?.dispose();
    await emulator?.close();
    process.env = savedEnv;
  });

  it('registers, applies the connector, becomes ACTIVE, grants and revokes console access, and deregisters', async () => {
    const progress: ConnectProgress[] = [];
    const result = await service().connect(plan(), { onProgress: (p) => progress.push(p), pollIntervalMs: 200 });
    assert.equal(result.cluster.status, 'ACTIVE');
    assert.ok(progress.some((p) => p.step === 'register'));
    assert.ok(progress.some((p) => p.step === 'apply' && /StatefulSet eks-connector\/eks-connector/.test(p.message)));
    assert.ok(progress.some((p) => p.step === 'connect' && p.activationExpiry instanceof Date));
    assert.ok(agent.events.some((e) => e.outcome === 'registered'), 'the simulated agent registered with the activation from the Secret');

    // The connector may impersonate exactly the caller, who may read pods and nodes; nobody else.
    assert.equal(await allowed(CONNECTOR_SA, 'impersonate', 'users', CALLER), true);
    assert.equal(await allowed(CONNECTOR_SA, 'impersonate', 'users', OTHER), false);
    assert.equal(await allowed(CONNECTOR_SA, 'impersonate', 'users', 'system:admin'), false);
    assert.equal(await allowed(CALLER, 'list', 'pods'), true);
    assert.equal(await allowed(CALLER, 'list', 'nodes'), true);
    assert.equal(await allowed(OTHER, 'list', 'pods'), false);

    // The activation code never left the Secret: not in progress messages, not in the GitOps YAML.
    const state = JSON.stringify(await control.getState());
    const code = /"activationCode":"([^"]+)"/.exec(state)?.[1];
    assert.ok(code, 'the emulator holds the code');
    assert.ok(!JSON.stringify(progress).includes(code));
    assert.ok(!result.manifestYaml.includes(code));
    assert.ok(!result.manifestYaml.includes(Buffer.from(code).toString('base64')));
    assert.equal(redactor.redact(`code ${code}`), 'code <redacted>');

    // Grant an assumed-role session: the role ARN (canonical) is what gets access.
    await service().grant({ region: 'us-west-2', name: 'e2e-cluster' }, [{ principalArn: `arn:aws:sts::${ACCOUNT}:assumed-role/Auditor/jane`, scope: { kind: 'full' } }]);
    assert.equal(await allowed(CONNECTOR_SA, 'impersonate', 'users', OTHER), true);
    assert.equal(await allowed(OTHER, 'list', 'nodes'), true);

    await service().revoke({ region: 'us-west-2', name: 'e2e-cluster' }, [OTHER]);
    assert.equal(await allowed(CONNECTOR_SA, 'impersonate', 'users', OTHER), false);
    assert.equal(await allowed(OTHER, 'list', 'pods'), false);
    assert.equal(await allowed(CALLER, 'list', 'pods'), true, 'the others keep their access');
    await assert.rejects(service().revoke({ region: 'us-west-2', name: 'e2e-cluster' }, [CALLER]), /leave the connector unable to serve anyone/);

    const status = await service().status({ region: 'us-west-2', name: 'e2e-cluster' });
    assert.equal(status.cluster?.status, 'ACTIVE');
    // EKS shows the version the connected agent reads from the real API server (v1.36.x).
    const described = await eventually('the agent to report the Kubernetes version', () => service().aws.describe('us-west-2', 'e2e-cluster'), (c) => c?.version !== undefined, 30_000);
    assert.equal(described?.version, '1.36');
    assert.equal(status.pods.length, 2);

    const report = await service().deregister({ region: 'us-west-2', name: 'e2e-cluster' });
    assert.deepEqual(report.remaining, []);
    assert.ok(report.done.some((d) => /deregistered e2e-cluster/.test(d)));
    assert.ok(report.done.some((d) => /SSM managed instance eks_c:e2e-cluster_/.test(d)));
    assert.deepEqual(await eventually('the connector objects to go', connectorObjects, (objects) => objects.length === 0, 60_000), []);
    assert.equal(await service().aws.waitForStatus('us-west-2', 'e2e-cluster', { until: [], intervalMs: 200 }), undefined);
  });

  it('grants, re-scopes and revokes console access; revoking one principal leaves the others\' access working through the connector', async () => {
    const target = { region: 'us-west-2', name: 'grants-cluster' };
    await service().connect(plan({ name: target.name }), { wait: false });
    try {
      assert.equal(await consoleMay(CALLER, 'list', 'pods', 'kube-system'), 'allowed', 'the caller has full access by default');
      assert.equal(await consoleMay(ALICE, 'list', 'pods', 'default'), 'not impersonable');

      // alice in one namespace; the Auditor role (granted through one of its sessions) everywhere.
      await service().grant(target, [
        { principalArn: ALICE, scope: { kind: 'namespaces', namespaces: ['default'] } },
        { principalArn: `arn:aws:sts::${ACCOUNT}:assumed-role/Auditor/jane`, scope: { kind: 'full' } },
      ]);
      assert.equal(await consoleMay(ALICE, 'list', 'pods', 'default'), 'allowed');
      assert.equal(await consoleMay(ALICE, 'list', 'pods', 'kube-system'), 'denied');
      assert.equal(await consoleMay(ALICE, 'get', 'secrets', 'default'), 'denied', 'restricted access reads no Secrets');
      assert.equal(await consoleMay(OTHER, 'list', 'pods', 'kube-system'), 'allowed');

      // Narrowing the Auditor to kube-system takes its cluster-wide access away.
      await service().grant(target, [{ principalArn: OTHER, scope: { kind: 'namespaces', namespaces: ['kube-system'] } }]);
      assert.equal(await consoleMay(OTHER, 'list', 'pods', 'default'), 'denied');
      assert.equal(await consoleMay(OTHER, 'list', 'pods', 'kube-system'), 'allowed');
      assert.deepEqual((await service().status(target)).grants, [
        { principalArn: CALLER, scope: { kind: 'full' } },
        { principalArn: ALICE, scope: { kind: 'namespaces', namespaces: ['default'] } },
        { principalArn: OTHER, scope: { kind: 'namespaces', namespaces: ['kube-system'] } },
      ]);

      // Revoking alice keeps what the Auditor shares with her (the restricted roles) and everyone else's access.
      await service().revoke(target, [ALICE]);
      assert.equal(await consoleMay(ALICE, 'list', 'pods', 'default'), 'not impersonable');
      assert.equal(await consoleMay(OTHER, 'list', 'pods', 'kube-system'), 'allowed');
      assert.equal(await consoleMay(OTHER, 'list', 'nodes'), 'allowed');
      assert.equal(await consoleMay(CALLER, 'list', 'pods', 'default'), 'allowed');
      const rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);
      const leftInDefault = await rbac.listNamespacedRoleBinding({ namespace: 'default', labelSelector: 'app.kubernetes.io/managed-by=eks-connector-vscode' });
      assert.deepEqual(leftInDefault.items.map((b) => b.metadata?.name), [], 'nothing of alice\'s is left in default');

      // Revoking by a session ARN revokes its role; a principal that has no access is refused by name.
      const unknown = await service().revoke(target, [ALICE]).then(() => undefined, (e: unknown) => e);
      assert.ok(unknown instanceof ConnectorError && unknown.category === 'input', String(unknown));
      assert.match(unknown.message, new RegExp(`Not granted on this cluster: ${ALICE}`));
      await service().revoke(target, [`arn:aws:sts::${ACCOUNT}:assumed-role/Auditor/jane`]);
      assert.equal(await consoleMay(OTHER, 'list', 'pods', 'kube-system'), 'not impersonable');
      assert.equal(await consoleMay(CALLER, 'list', 'pods', 'kube-system'), 'allowed');
      assert.deepEqual((await service().status(target)).grants, [{ principalArn: CALLER, scope: { kind: 'full' } }]);
    } finally {
      assert.deepEqual((await service().deregister(target)).remaining, []);
      await connectorNamespaceGone(admin);
    }
  });

  it('a grant that meets fields another manager owns names the object, the fields and the ways out; taking them over moves them', async () => {
    const target = { region: 'us-west-2', name: 'conflict-cluster' };
    await service().connect(plan({ name: target.name }), { wait: false });
    try {
      // Argo CD (say) force-applies the impersonation rule with its own list of users.
      const objects = k8s.KubernetesObjectApi.makeApiClient(admin);
      await objects.patch({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'eks-connector-service' }, rules: [{ apiGroups: [''], resources: ['users'], verbs: ['impersonate'], resourceNames: [CALLER, 'arn:aws:iam::123456789012:user/argo'] }] },
        undefined, undefined, 'argocd-controller', true, k8s.PatchStrategy.ServerSideApply);

      const refused = await service().grant(target, [{ principalArn: ALICE, scope: { kind: 'full' } }]).then(() => undefined, (e: unknown) => e);
      assert.ok(refused instanceof ConnectorError, String(refused));
      assert.deepEqual(refused.conflict, { object: 'ClusterRole eks-connector-service', fields: [{ manager: 'argocd-controller', field: '.rules' }] });
      assert.match(refused.message, /ClusterRole eks-connector-service.*owned by "argocd-controller": \.rules/);
      assert.match(refused.fix ?? '', /change them where "argocd-controller" sets them.*or take them over/);
      assert.equal(await consoleMay(ALICE, 'list', 'pods', 'default'), 'not impersonable', 'nothing was granted');

      const forced = await service().grant(target, [{ principalArn: ALICE, scope: { kind: 'full' } }], undefined, { forceConflicts: true });
      assert.ok(forced.done.some((d) => /ClusterRole eks-connector-service \(took over \.rules from "argocd-controller"\)/.test(d)), forced.done.join('; '));
      assert.equal(await consoleMay(ALICE, 'list', 'pods', 'default'), 'allowed');
    } finally {
      assert.deepEqual((await service().deregister(target)).remaining, []);
      await connectorNamespaceGone(admin);
    }
  });

  it('refuses a viewer-only context at pre-flight, before anything is created', async () => {
    const error = await service(kube.kubeConfig('sandbox-viewer')).connect(plan({ name: 'viewer-try' })).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof ConnectorError, String(error));
    assert.equal(error.category, 'preflight');
    assert.ok(error.checks?.some((c) => c.id === 'adminRights' && c.status === 'fail'));
    assert.equal(await registrationExists('viewer-try'), false);
  });

  it('refuses bad input and a region without the connector before anything is created', async () => {
    for (const bad of [plan({ name: '-bad name' }), plan({ provider: 'minikube' }), plan({ region: 'cn-north-1' }), plan({ role: { kind: 'existing', arn: 'arn:aws:iam::123:role' } }),
      plan({ name: 'bad-image', images: { ssmAgent: 'mirror.example.com/ssm/amazon-ssm-agent' } })]) {
      const error = await service().connect(bad).then(() => undefined, (e: unknown) => e);
      assert.ok(error instanceof ConnectorError && error.category === 'input', String(error));
      assert.ok(error.checks?.some((c) => c.status === 'fail' && c.fix));
    }
    assert.equal(await registrationExists('bad-image'), false);
    assert.deepEqual(await connectorObjects(), []);
  });

  it('accepts a well-formed region this release does not list, with a warning row in the checklist', async () => {
    const report = await service().check(plan({ name: 'future-region', region: 'eu-future-9' }));
    const row = report.checks.find((c) => c.id === 'region');
    assert.equal(row?.status, 'warn', JSON.stringify(row));
    assert.match(row?.reason ?? '', /eu-future-9 is not in this version's list of AWS regions/);
  });

  for (const [key, action, role] of [
    ['AKIAE2ENOREGISTER001', 'eks:RegisterCluster', undefined],
    ['AKIAE2ENOACTIVATION1', 'ssm:CreateActivation', undefined],
    ['AKIAE2ENOPASSROLE001', 'iam:PassRole', undefined],
    ['AKIAE2ENOCREATEROLE1', 'iam:CreateRole', 'NewAgentRole'],
  ] as const) {
    it(`reports access denied for ${action} and leaves nothing`, async () => {
      process.env.AWS_ACCESS_KEY_ID = key;
      const denied = new AwsSession();
      try {
        const name = `denied-${action.replace(/[^a-z]/gi, '').toLowerCase()}`;
        const error = await new ConnectorService({ session: denied, kube: new KubeCluster(admin) })
          .connect(plan({ name, ...(role ? { role: { kind: 'create' as const, name: role } } : {}) }))
          .then(() => undefined, (e: unknown) => e);
        assert.ok(error instanceof ConnectorError, String(error));
        assert.ok(['aws', 'preflight'].includes(error.category), error.category);
        assert.match(`${error.message} ${JSON.stringify(error.checks ?? [])}`, new RegExp(action));
        assert.deepEqual(error.remaining, []);
        assert.equal(await registrationExists(name), false);
        assert.deepEqual(await connectorObjects(), []);
      } finally {
        denied.dispose();
        process.env.AWS_ACCESS_KEY_ID = 'AKIAE2EPLATFORM00001';
      }
    });
  }

  it('rides out throttling and server errors from EKS', async () => {
    await control.setFaults({
      throttle: [{ service: 'eks', operation: 'DescribeCluster', ratePerSecond: 2, burst: 1 }, { service: 'eks', operation: 'ListClusters', ratePerSecond: 1, burst: 1 }],
      errors: [{ service: 'eks', operation: 'RegisterCluster', status: 503, count: 2 }],
    });
    try {
      const result = await service().connect(plan({ name: 'throttled' }), { pollIntervalMs: 200 });
      assert.equal(result.cluster.status, 'ACTIVE');
      const faults = await control.getFaults();
      assert.ok((faults.totals.throttled ?? 0) > 0, 'the emulator throttled');
      assert.equal(faults.counters.errors['eks:RegisterCluster'], 2, 'two server errors were retried');
    } finally {
      await control.resetFaults();
    }
    const report = await service().deregister({ region: 'us-west-2', name: 'throttled' });
    assert.deepEqual(report.remaining, []);
    await connectorNamespaceGone(admin);
  });

  it('installs the images and node placement it is given, and repair keeps them', async () => {
    const images = { connector: 'mirror.example.com/eks/eks-connector:0.0.11', ssmAgent: 'mirror.example.com/ssm/amazon-ssm-agent:3.2.2303.0' };
    await service().connect(plan({ name: 'mirrored', images, nodeSelector: false }), { wait: false });
    const apps = admin.makeApiClient(k8s.AppsV1Api);
    const podSpec = async () => (await apps.readNamespacedStatefulSet({ name: 'eks-connector', namespace: 'eks-connector' })).spec!.template.spec!;
    const imagesOf = (spec: k8s.V1PodSpec) => Object.fromEntries([...(spec.initContainers ?? []), ...spec.containers].map((c) => [c.name, c.image]));
    const expected = { 'connector-init': images.connector, 'connector-agent': images.ssmAgent, 'connector-proxy': images.connector };
    let spec = await podSpec();
    assert.deepEqual(imagesOf(spec), expected);
    assert.equal(spec.nodeSelector?.['kubernetes.io/arch'], undefined, 'not pinned to amd64 nodes');

    // Repair brings back a deleted object and keeps what the connector runs with, not the defaults it is offered.
    const core = admin.makeApiClient(k8s.CoreV1Api);
    await core.deleteNamespacedConfigMap({ name: 'eks-connector-agent', namespace: 'eks-connector' });
    await service().repair({ region: 'us-west-2', name: 'mirrored' }, undefined, { nodeSelector: true, images: {} });
    assert.ok(await core.readNamespacedConfigMap({ name: 'eks-connector-agent', namespace: 'eks-connector' }));
    spec = await podSpec();
    assert.deepEqual(imagesOf(spec), expected);
    assert.equal(spec.nodeSelector?.['kubernetes.io/arch'], undefined);

    assert.deepEqual((await service().deregister({ region: 'us-west-2', name: 'mirrored' })).remaining, []);
    await connectorNamespaceGone(admin);
  });

  it('rolls back a failure during apply: no registration, no objects', async () => {
    await plantConflict();
    const error = await service().connect(plan({ name: 'apply-fails' }), { pollIntervalMs: 200 }).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof ConnectorError, String(error));
    assert.equal(error.category, 'cluster');
    assert.match(error.message, /^Applying ConfigMap eks-connector\/eks-connector-agent failed: /, 'the message names the object that failed');
    assert.match(error.message, /helm|conflict/i);
    assert.deepEqual(error.remaining, [], error.message);
    assert.match(error.message, /Everything created was removed/);
    assert.deepEqual(await eventually('objects removed', connectorObjects, (o) => o.length === 0, 60_000), []);
    const status = await service().aws.describe('us-west-2', 'apply-fails').then((c) => c?.status);
    assert.ok(status === undefined || status === 'DELETING', `the registration was deregistered (status ${status})`);
  });

  it('rolls back when cancelled mid-way', async () => {
    const abort = new AbortController();
    const error = await service().connect(plan({ name: 'cancelled' }), {
      signal: abort.signal,
      onProgress: (p) => { if (p.step === 'apply' && /ServiceAccount/.test(p.message)) abort.abort(); },
    }).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof ConnectorError, String(error));
    assert.equal(error.category, 'cancelled');
    assert.deepEqual(error.remaining, []);
    assert.deepEqual(await eventually('objects removed', connectorObjects, (o) => o.length === 0, 60_000), []);
    const status = await service().aws.describe('us-west-2', 'cancelled').then((c) => c?.status);
    assert.ok(status === undefined || status === 'DELETING', `the registration was deregistered (status ${status})`);
  });

  it('keeps what was created when asked, and says exactly what remains', async () => {
    await plantConflict();
    const error = await service().connect(plan({ name: 'kept' }), { onFailure: async () => 'keep' }).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof ConnectorError, String(error));
    assert.ok(error.remaining.some((r) => /EKS registration kept in us-west-2/.test(r)), error.remaining.join('\n'));
    assert.ok(error.remaining.some((r) => /connector objects in the cluster/.test(r)));
    // Clean up through deregister, which also proves it removes a half-made connection.
    const report = await service().deregister({ region: 'us-west-2', name: 'kept' });
    assert.deepEqual(report.remaining, []);
    assert.deepEqual(await eventually('objects removed', connectorObjects, (o) => o.length === 0, 60_000), []);
  });

  it('refuses to resume a registration whose activation expired before the agent connected, and says to register anew', async () => {
    agent.stop();
    try {
      await service().connect(plan({ name: 'expiring' }), { wait: false });
      await control.advanceClock(73 * 3600);
      const report = await service().check(plan({ name: 'expiring' }));
      const nameFree = report.checks.find((c) => c.id === 'nameFree');
      assert.equal(report.ok, false);
      assert.equal(nameFree?.status, 'fail');
      assert.match(nameFree?.reason ?? '', /this cluster runs its connector, but its activation expired at \d{4}-/);
      assert.match(nameFree?.fix ?? '', /Deregister expiring first .*then register again/);
    } finally {
      agent.start(300);
    }
    const report = await service().deregister({ region: 'us-west-2', name: 'expiring' });
    assert.deepEqual(report.remaining, []);
    assert.deepEqual(await eventually('objects removed', connectorObjects, (o) => o.length === 0, 60_000), []);
  });
});

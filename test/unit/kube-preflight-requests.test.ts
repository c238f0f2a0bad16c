// How the cluster pre-flight asks for admin rights (rules reviews first, access reviews for the rest) and how
// KubeCluster uses its connections and credentials, against a small fake API server that records every request.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import { KubeCluster, rulesGrant, type AccessReview, type AccessRules } from '../../src/core/kube/kubeCluster';
import { clusterPreflight, type PlanObject, type PreflightPlan } from '../../src/core/kube/preflight';
import { applyOrder, renderConnectorManifest } from '../../src/core/connector/manifest';

const CONSOLE_USER = 'arn:aws:iam::123456789012:role/Admin';
const EVERYTHING: Pick<AccessRules, 'resourceRules' | 'nonResourceRules'> = {
  resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
  nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
};

function connectorPlan(): PreflightPlan {
  const manifest = renderConnectorManifest({
    clusterName: 'demo', region: 'us-west-2', activationId: '2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f',
    activationCode: 'q7Zr+Tn2/Wx9LmPk4Hs8Vd1Bc6Fy0GjUe3Ra', consoleAccess: [{ principalArn: CONSOLE_USER, scope: { kind: 'full' } }],
  });
  return { objects: applyOrder(manifest) as PlanObject[], impersonateUsers: [CONSOLE_USER], nodeSelector: true };
}

describe('rulesGrant: RBAC rule matching', function () {
  const rules = (resourceRules: k8s.V1ResourceRule[], nonResourceRules: k8s.V1NonResourceRule[] = []) => ({ resourceRules, nonResourceRules });
  const create = (resource: string, group = ''): AccessReview => ({ verb: 'create', group, resource, namespace: 'ns' });

  it('grants by wildcard or exact verb, group and resource, and nothing across groups', function () {
    assert.ok(rulesGrant(EVERYTHING, create('secrets')));
    assert.ok(rulesGrant(EVERYTHING, { verb: 'get', nonResourceURL: '/version' }));
    const secrets = rules([{ verbs: ['create', 'patch'], apiGroups: [''], resources: ['secrets'] }]);
    assert.ok(rulesGrant(secrets, create('secrets')));
    assert.ok(!rulesGrant(secrets, { ...create('secrets'), verb: 'delete' }));
    assert.ok(!rulesGrant(secrets, create('secrets', 'apps')));
    assert.ok(!rulesGrant(secrets, create('configmaps')));
    assert.ok(!rulesGrant(rules([{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]), { verb: 'get', nonResourceURL: '/version' }), 'resource rules grant no URL');
  });

  it('limits rules with resourceNames to requests for those names: never a create, which has no name', function () {
    const named = rules([{ verbs: ['*'], apiGroups: [''], resources: ['users'], resourceNames: [CONSOLE_USER] }]);
    assert.ok(rulesGrant(named, { verb: 'impersonate', group: '', resource: 'users', name: CONSOLE_USER }));
    assert.ok(!rulesGrant(named, { verb: 'impersonate', group: '', resource: 'users', name: 'someone-else' }));
    assert.ok(!rulesGrant(named, { verb: 'impersonate', group: '', resource: 'users' }));
    assert.ok(!rulesGrant(named, { verb: 'create', group: '', resource: 'users' }));
  });

  it('tells subresources from their resource, and matches */subresource', function () {
    const logs = rules([{ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }, { verbs: ['patch'], apiGroups: ['apps'], resources: ['*/scale'] }]);
    assert.ok(rulesGrant(logs, { verb: 'get', group: '', resource: 'pods', subresource: 'log' }));
    assert.ok(!rulesGrant(logs, { verb: 'get', group: '', resource: 'pods' }));
    assert.ok(rulesGrant(logs, { verb: 'patch', group: 'apps', resource: 'deployments', subresource: 'scale' }));
    assert.ok(!rulesGrant(logs, { verb: 'patch', group: 'apps', resource: 'deployments' }));
    assert.ok(!rulesGrant(rules([{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]), { verb: 'get', group: '', resource: 'pods', subresource: 'log' }));
  });

  it('matches non-resource URLs exactly or by a trailing *', function () {
    const urls = rules([], [{ verbs: ['get'], nonResourceURLs: ['/version', '/apis/*'] }]);
    assert.ok(rulesGrant(urls, { verb: 'get', nonResourceURL: '/version' }));
    assert.ok(rulesGrant(urls, { verb: 'get', nonResourceURL: '/apis/apps' }));
    assert.ok(!rulesGrant(urls, { verb: 'get', nonResourceURL: '/version/x' }));
    assert.ok(!rulesGrant(urls, { verb: 'post', nonResourceURL: '/version' }));
  });
});

interface FakeOptions {
  /** The SelfSubjectRulesReview status per namespace (default: everything, complete), or 'forbidden'. */
  rules?: (namespace: string) => { resourceRules: k8s.V1ResourceRule[]; nonResourceRules: k8s.V1NonResourceRule[]; incomplete: boolean } | 'forbidden';
  /** The SelfSubjectAccessReview answer (default: allowed). */
  allowed?: (attributes: Record<string, string>) => boolean;
  /** Namespaces that exist. */
  namespaces?: Record<string, k8s.V1Namespace>;
  /** Requests that must carry this bearer token. */
  token?: string;
}

/** An API server answering what the pre-flight asks, recording requests and connections. */
class FakeApiServer {
  readonly requests: Array<{ method: string; path: string; body: unknown }> = [];
  connections = 0;
  private constructor(private readonly server: http.Server, readonly url: string) {}

  static async start(options: FakeOptions = {}): Promise<FakeApiServer> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const fake = new FakeApiServer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('connection', () => fake.connections++);
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => fake.answer(req, text, res, options));
    });
    return fake;
  }

  /** Access reviews asked, as "verb group/resource[/sub] name @namespace" or "verb URL". */
  get accessReviews(): string[] {
    return this.requests.filter((r) => r.path.endsWith('/selfsubjectaccessreviews')).map((r) => {
      const spec = (r.body as { spec: { resourceAttributes?: Record<string, string>; nonResourceAttributes?: Record<string, string> } }).spec;
      if (spec.nonResourceAttributes) return `${spec.nonResourceAttributes.verb} ${spec.nonResourceAttributes.path}`;
      const a = spec.resourceAttributes!;
      return `${a.verb} ${a.group}/${a.resource}${a.subresource ? `/${a.subresource}` : ''}${a.name ? ` ${a.name}` : ''}${a.namespace ? ` @${a.namespace}` : ''}`;
    });
  }

  count(suffix: string): number {
    return this.requests.filter((r) => r.path.endsWith(suffix)).length;
  }

  cluster(user: { token?: string; exec?: unknown } = { token: 'secret-token' }): KubeCluster {
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'user', ...user }],
      contexts: [{ name: 'ctx', cluster: 'fake', user: 'user' }],
      currentContext: 'ctx',
    });
    return new KubeCluster(kc);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private answer(req: http.IncomingMessage, text: string, res: http.ServerResponse, options: FakeOptions): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const body: unknown = text ? JSON.parse(text) : undefined;
    this.requests.push({ method: req.method ?? '', path: url.pathname, body });
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    if (options.token && req.headers.authorization !== `Bearer ${options.token}`) return send(401, { kind: 'Status', code: 401, reason: 'Unauthorized' });
    const namespaceRead = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(url.pathname);
    if (url.pathname === '/version') return send(200, { major: '1', minor: '30', gitVersion: 'v1.30.0' });
    if (url.pathname === '/api/v1') return send(200, { kind: 'APIResourceList', groupVersion: 'v1', resources: [{ name: 'pods', kind: 'Pod', namespaced: true, verbs: ['create', 'patch'] }] });
    if (url.pathname === '/api/v1/nodes') {
      return send(200, { kind: 'NodeList', items: [{ metadata: { name: 'node-1', labels: { 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' } }, status: { conditions: [{ type: 'Ready', status: 'True' }] } }] });
    }
    if (namespaceRead) {
      const ns = options.namespaces?.[namespaceRead[1]];
      return ns ? send(200, ns) : send(404, { kind: 'Status', code: 404, reason: 'NotFound', message: `namespaces "${namespaceRead[1]}" not found` });
    }
    if (url.pathname.endsWith('/pods/eks-connector-preflight')) return send(200, { ...(body as object), status: {} });
    if (url.pathname.endsWith('/selfsubjectreviews')) return send(201, { ...(body as object), status: { userInfo: { username: 'fake-user', groups: [] } } });
    if (url.pathname.endsWith('/selfsubjectrulesreviews')) {
      const status = options.rules?.((body as { spec: { namespace: string } }).spec.namespace) ?? { ...EVERYTHING, incomplete: false };
      if (status === 'forbidden') return send(403, { kind: 'Status', code: 403, reason: 'Forbidden', message: 'selfsubjectrulesreviews is forbidden' });
      return send(201, { ...(body as object), status });
    }
    if (url.pathname.endsWith('/selfsubjectaccessreviews')) {
      const spec = (body as { spec: { resourceAttributes?: Record<string, string>; nonResourceAttributes?: Record<string, string> } }).spec;
      return send(201, { ...(body as object), status: { allowed: options.allowed?.(spec.resourceAttributes ?? spec.nonResourceAttributes ?? {}) ?? true } });
    }
    send(404, { kind: 'Status', code: 404, reason: 'NotFound' });
  }
}

describe('cluster pre-flight requests (fake API server)', function () {
  let fake: FakeApiServer | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it('decides every permission from one rules review when the rules are complete and the namespace is new', async function () {
    fake = await FakeApiServer.start();
    const checks = await clusterPreflight(fake.cluster(), connectorPlan());
    assert.deepEqual(checks.map((c) => c.status), ['pass', 'pass', 'pass', 'pass', 'pass'], checks.map((c) => `${c.id}: ${c.reason}`).join('\n'));
    assert.equal(fake.count('/selfsubjectrulesreviews'), 1);
    assert.deepEqual(fake.accessReviews, []);
    assert.match(checks[1].reason!, /^User "fake-user" may create and update Namespace, ServiceAccount, Secret, Role, ClusterRole/);
  });

  it('asks the cluster-wide permissions one by one when the namespace exists: its RoleBindings grant nothing cluster-wide', async function () {
    const namespace = { metadata: { name: 'eks-connector', labels: { 'app.kubernetes.io/managed-by': 'eks-connector-vscode' } } };
    fake = await FakeApiServer.start({ namespaces: { 'eks-connector': namespace } });
    const checks = await clusterPreflight(fake.cluster(), connectorPlan());
    assert.equal(checks[1].status, 'pass', checks[1].reason);
    const asked = fake.accessReviews;
    assert.ok(asked.length > 0);
    assert.deepEqual(asked.filter((r) => r.includes(' @')), [], 'namespaced permissions come from the rules review of their namespace');
    for (const needed of ['create /namespaces', 'create rbac.authorization.k8s.io/clusterroles', 'create rbac.authorization.k8s.io/clusterrolebindings', `impersonate /users ${CONSOLE_USER}`, 'get /version']) {
      assert.ok(asked.includes(needed), `${needed} not asked; asked:\n${asked.join('\n')}`);
    }
  });

  it('trusts no rule of an incomplete rules review: an authorizer that cannot list its rules may also deny', async function () {
    fake = await FakeApiServer.start({
      rules: () => ({ ...EVERYTHING, incomplete: true }),
      allowed: (a) => !(a.verb === 'impersonate' || a.verb === 'escalate' || a.verb === 'bind'),
    });
    const checks = await clusterPreflight(fake.cluster(), connectorPlan());
    const rights = checks[1];
    assert.equal(rights.status, 'fail', rights.reason);
    assert.ok(rights.details?.some((d) => d.startsWith(`impersonate users "${CONSOLE_USER}" (needed to grant it to the connector, unless you may escalate and bind`)), rights.details?.join('\n'));
    assert.ok(fake.accessReviews.includes('create /namespaces'), 'even what the rules list is asked');
  });

  it('asks what the rules do not grant, with its escalate and bind alternatives, and passes when those are allowed', async function () {
    // The rules lack impersonate; an access review (a group with its own authorizer, say) allows escalate and bind.
    fake = await FakeApiServer.start({
      rules: () => ({ resourceRules: [{ verbs: ['create', 'patch', 'get', 'update', 'list'], apiGroups: ['*'], resources: ['*'] }], nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/version'] }], incomplete: false }),
      allowed: (a) => a.verb !== 'impersonate',
    });
    const checks = await clusterPreflight(fake.cluster(), connectorPlan());
    assert.equal(checks[1].status, 'pass', checks[1].reason);
    const asked = fake.accessReviews;
    assert.ok(asked.includes(`impersonate /users ${CONSOLE_USER}`), asked.join('\n'));
    assert.ok(asked.includes('escalate rbac.authorization.k8s.io/clusterroles eks-connector-service'), asked.join('\n'));
    assert.ok(asked.includes('bind rbac.authorization.k8s.io/clusterroles eks-connector-service'), asked.join('\n'));
    assert.ok(!asked.some((r) => r.startsWith('create ') || r.startsWith('patch ')), `granted by the rules, so not asked:\n${asked.join('\n')}`);
  });

  it('asks everything one by one when the rules review fails', async function () {
    fake = await FakeApiServer.start({ rules: () => 'forbidden' });
    const checks = await clusterPreflight(fake.cluster(), connectorPlan());
    assert.equal(checks[1].status, 'pass', checks[1].reason);
    assert.ok(fake.accessReviews.length > 20, fake.accessReviews.join('\n'));
  });
});

describe('KubeCluster connections and credentials (fake API server)', function () {
  let fake: FakeApiServer | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('keeps one connection open for requests one after another', async function () {
    fake = await FakeApiServer.start();
    const cluster = fake.cluster();
    for (let i = 0; i < 5; i++) await cluster.version();
    assert.equal(fake.connections, 1);
    await clusterPreflight(cluster, connectorPlan());
    assert.ok(fake.connections <= 8, `${fake.connections} connections for the pre-flight's concurrent requests`);
  });

  it('runs an exec credential plugin once for requests started together, and sends its token', async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-plugin-'));
    const runs = path.join(dir, 'runs');
    const plugin = path.join(dir, 'plugin.js');
    fs.writeFileSync(plugin, `require('fs').appendFileSync(${JSON.stringify(runs)}, 'run\\n');
      process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential',
        status: { token: 'exec-token', expirationTimestamp: new Date(Date.now() + 3600e3).toISOString() } }));`);
    fake = await FakeApiServer.start({ token: 'exec-token' });
    const cluster = fake.cluster({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [plugin], interactiveMode: 'Never' } });
    const checks = await clusterPreflight(cluster, connectorPlan());
    assert.deepEqual(checks.map((c) => c.status), ['pass', 'pass', 'pass', 'pass', 'pass'], checks.map((c) => `${c.id}: ${c.reason}`).join('\n'));
    assert.equal(fs.readFileSync(runs, 'utf8'), 'run\n');
  });

  it('stops the other checks, and starts no credential plugin for them, when the API server check fails', async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-plugin-'));
    const runs = path.join(dir, 'runs');
    const plugin = path.join(dir, 'plugin.js');
    fs.writeFileSync(plugin, `require('fs').appendFileSync(${JSON.stringify(runs)}, 'run\\n'); process.stderr.write('no credentials'); process.exit(1);`);
    fake = await FakeApiServer.start();
    const cluster = fake.cluster({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [plugin], interactiveMode: 'Never' } });
    const checks = await clusterPreflight(cluster, connectorPlan());
    assert.equal(checks[0].status, 'fail');
    assert.deepEqual(checks.slice(1).map((c) => c.status), ['warn', 'warn', 'warn', 'warn']);
    // The version request runs the plugin first; the failure stops the rest before their turn.
    assert.equal(fs.readFileSync(runs, 'utf8'), 'run\n');
    assert.deepEqual(fake.requests, []);
  });
});

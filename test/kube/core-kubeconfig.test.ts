// src/core/kube/kubeconfig.ts and errors.ts: kubectl's loading rules over real files, and real calls through the
// resulting KubeConfig to the kube-cluster API server (working, unreachable, wrong CA, wrong token, exec plugin).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { RunningKubeCluster } from '../../scripts/kube/cluster';
import { KubeOperationError, describeKubeError } from '../../src/core/kube/errors';
import { KubeCluster } from '../../src/core/kube/kubeCluster';
import { KubeconfigError, kubeConfigFor, kubeconfigPaths, loadKubeconfig } from '../../src/core/kube/kubeconfig';
import { sharedCluster } from './shared';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function rejection(promise: Promise<unknown>): Promise<KubeOperationError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof KubeOperationError) return err;
    throw err;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

describe('core/kube: kubeconfig loading and error descriptions', function () {
  this.timeout(60_000);
  let cluster: RunningKubeCluster;
  let dir: string;
  let caData: string;
  const emptyPath = () => path.join(dir, 'empty-bin');

  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return file;
  };
  const load = (files: string[], pathEnv = emptyPath()) => loadKubeconfig({ kubeconfigEnv: files.join(path.delimiter), pathEnv });

  before(async function () {
    this.timeout(180_000);
    cluster = await sharedCluster();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'core-kubeconfig-'));
    fs.mkdirSync(emptyPath());
    caData = Buffer.from(fs.readFileSync(cluster.caFile)).toString('base64');
  });

  after(function () {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('merges a multi-path KUBECONFIG the way kubectl does: first file wins per name, current-context from the first file that sets it', async function () {
    const a = write('a.yaml', [
      'apiVersion: v1', 'kind: Config',
      'clusters:', '- name: shared', '  cluster:', '    server: https://a.example:6443',
      'users:', '- name: u', '  user:', '    token: token-a',
      'contexts:',
      '- name: ctx-a', '  context:', '    cluster: shared', '    user: u',
      '- name: dup', '  context:', '    cluster: shared', '    user: u', '    namespace: from-a',
      '',
    ].join('\n'));
    const b = write('b.yaml', [
      'apiVersion: v1', 'kind: Config',
      'clusters:',
      '- name: shared', '  cluster:', '    server: https://b.example:6443',
      '- name: b-only', '  cluster:', '    server: https://b-only.example',
      'users:', '- name: u', '  user:', '    token: token-b',
      'contexts:',
      '- name: dup', '  context:', '    cluster: shared', '    user: u', '    namespace: from-b',
      '- name: ctx-b', '  context:', '    cluster: b-only', '    user: u',
      'current-context: ctx-b',
      '',
    ].join('\n'));
    const c = write('c.yaml', 'apiVersion: v1\nkind: Config\ncurrent-context: dup\n');

    const loaded = await load([a, b, c, b]);
    assert.deepEqual(loaded.files, [a, b, c], 'duplicates in KUBECONFIG are read once');
    assert.equal(loaded.currentContext, 'ctx-b', 'a.yaml sets none, so b.yaml\'s wins over c.yaml\'s');
    assert.deepEqual(loaded.contexts.map((x) => x.name), ['ctx-a', 'dup', 'ctx-b']);
    const dup = loaded.contexts.find((x) => x.name === 'dup')!;
    assert.equal(dup.namespace, 'from-a');
    assert.equal(dup.file, a);
    assert.equal(dup.server, 'https://a.example:6443', 'the cluster "shared" of a.yaml wins over b.yaml\'s');
    assert.equal(loaded.contexts.find((x) => x.name === 'ctx-b')!.server, 'https://b-only.example');
    assert.deepEqual(loaded.problems, []);
    assert.ok(!JSON.stringify(loaded).includes('token-a'), 'credentials stay out of the returned object');

    const kc = kubeConfigFor('dup', loaded);
    assert.equal(kc.getCurrentContext(), 'dup');
    assert.equal(kc.getCurrentUser()?.token, 'token-a');
    assert.equal(kc.getContextObject('dup')?.namespace, 'from-a');
  });

  it('falls back to ~/.kube/config when KUBECONFIG is unset, and reports it missing', async function () {
    const home = path.join(dir, 'home');
    assert.deepEqual(kubeconfigPaths({ kubeconfigEnv: '', homeDir: home }), [path.join(home, '.kube', 'config')]);
    const loaded = await loadKubeconfig({ kubeconfigEnv: '', homeDir: home });
    assert.equal(loaded.contexts.length, 0);
    assert.equal(loaded.problems[0]?.kind, 'missingFile');
    assert.equal(loaded.problems[0]?.severity, 'error');
    assert.match(loaded.problems[0]!.fix, /update-kubeconfig/);
  });

  it('names a broken YAML file with its line, a missing file, and a context whose cluster or user is missing; the good file still loads', async function () {
    const broken = write('broken.yaml', [
      'apiVersion: v1',
      'kind: Config',
      'users:',
      '- name: leaky',
      '  user:',
      '    token: do-not-print-me',
      '   bad: indentation',
      '',
    ].join('\n'));
    const missing = path.join(dir, 'nope', 'config');
    const dangling = write('dangling.yaml', [
      'apiVersion: v1', 'kind: Config',
      'contexts:',
      '- name: no-cluster', '  context:', '    cluster: ghost', '    user: nobody',
      '',
    ].join('\n'));

    const loaded = await load([broken, missing, dangling, cluster.kubeconfigPath]);
    const parse = loaded.problems.find((p) => p.kind === 'parseError')!;
    assert.equal(parse.file, broken);
    assert.equal(parse.line, 7);
    assert.match(parse.message, /broken\.yaml is not valid YAML \(line 7, column \d+\)/);
    assert.match(parse.fix, /at line 7 of .*broken\.yaml/);
    assert.ok(!JSON.stringify(loaded.problems).includes('do-not-print-me'), 'the YAML snippet (which may hold a token) is not quoted');

    const gone = loaded.problems.find((p) => p.kind === 'missingFile')!;
    assert.equal(gone.file, missing);
    assert.match(gone.fix, /Remove it from KUBECONFIG/);

    const noCluster = loaded.problems.find((p) => p.kind === 'missingCluster')!;
    assert.equal(noCluster.context, 'no-cluster');
    assert.match(noCluster.message, /points at the cluster "ghost", which no kubeconfig file defines/);
    assert.ok(loaded.problems.some((p) => p.kind === 'missingUser' && p.context === 'no-cluster' && /"nobody"/.test(p.message)));
    assert.equal(loaded.contexts.find((c) => c.name === 'no-cluster')?.usable, false);
    assert.throws(() => kubeConfigFor('no-cluster', loaded), (err: unknown) => err instanceof KubeconfigError && /ghost/.test(err.message));
    assert.throws(() => kubeConfigFor('not-there', loaded), /No kubeconfig context is named "not-there".*Choose one of: .*sandbox-admin/);

    // The harness's own file is unharmed by the others, and its context really works.
    assert.equal(loaded.currentContext, 'sandbox-admin');
    const version = await new KubeCluster(kubeConfigFor('sandbox-admin', loaded)).version();
    assert.equal(version.gitVersion, 'v1.36.3');
  });

  it('resolves relative certificate and token files against the kubeconfig\'s folder', async function () {
    fs.mkdirSync(path.join(dir, 'rel', 'pki'), { recursive: true });
    fs.copyFileSync(cluster.caFile, path.join(dir, 'rel', 'pki', 'ca.crt'));
    fs.writeFileSync(path.join(dir, 'rel', 'admin.token'), cluster.tokens.admin);
    const file = write('rel/config', [
      'apiVersion: v1', 'kind: Config',
      'clusters:', '- name: k', '  cluster:', `    server: ${cluster.server}`, '    certificate-authority: pki/ca.crt',
      'users:', '- name: admin', '  user:', '    tokenFile: admin.token',
      'contexts:', '- name: rel', '  context:', '    cluster: k', '    user: admin',
      '',
    ].join('\n'));
    const loaded = await load([file]);
    const me = await new KubeCluster(kubeConfigFor('rel', loaded)).whoAmI();
    assert.equal(me.username, 'sandbox-admin');
  });

  describe('exec credential plugins', function () {
    const execConfig = (command: string) => [
      'apiVersion: v1', 'kind: Config',
      'clusters:', '- name: k', '  cluster:', `    server: ${cluster.server}`, `    certificate-authority-data: ${caData}`,
      'users:', '- name: plugin-user', '  user:', '    exec:', '      apiVersion: client.authentication.k8s.io/v1beta1', `      command: ${command}`, '      args: [token]', '      env: null',
      'contexts:', '- name: gke', '  context:', '    cluster: k', '    user: plugin-user',
      '',
    ].join('\n');

    it('reports a context whose exec plugin is not on PATH before any call, with how to install it', async function () {
      const loaded = await load([write('gke.yaml', execConfig('gke-gcloud-auth-plugin'))]);
      const problem = loaded.problems.find((p) => p.kind === 'missingExecPlugin')!;
      assert.equal(problem.context, 'gke');
      assert.equal(problem.message, 'Context "gke" needs the exec plugin `gke-gcloud-auth-plugin`, which is not installed (not found on the PATH VS Code sees).');
      assert.match(problem.fix, /gcloud components install gke-gcloud-auth-plugin.* or choose another context/);
      const info = loaded.contexts.find((c) => c.name === 'gke')!;
      assert.deepEqual(info.execPlugin, { command: 'gke-gcloud-auth-plugin' });
      assert.equal(info.usable, false);
      assert.throws(() => kubeConfigFor('gke', loaded), (err: unknown) => err instanceof KubeconfigError && /needs the exec plugin `gke-gcloud-auth-plugin`/.test(err.message));
    });

    it('runs a plugin found on PATH, and one given relative to the kubeconfig', async function () {
      const bin = path.join(dir, 'bin');
      fs.mkdirSync(bin, { recursive: true });
      const credential = JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', status: { token: cluster.tokens.viewer } });
      const script = `#!/bin/sh\necho '${credential}'\n`;
      fs.writeFileSync(path.join(bin, 'fake-auth-plugin'), script, { mode: 0o755 });
      const onPath = await load([write('plugin.yaml', execConfig('fake-auth-plugin'))], `${emptyPath()}${path.delimiter}${bin}`);
      assert.deepEqual(onPath.problems, []);
      assert.equal(onPath.contexts[0].execPlugin?.resolvedPath, path.join(bin, 'fake-auth-plugin'));
      assert.equal((await new KubeCluster(kubeConfigFor('gke', onPath)).whoAmI()).username, 'sandbox-viewer');

      const relative = await load([write('plugins/nested.yaml', execConfig('../bin/fake-auth-plugin'))]);
      assert.deepEqual(relative.problems, []);
      assert.equal((await new KubeCluster(kubeConfigFor('gke', relative)).whoAmI()).username, 'sandbox-viewer');
    });

    it('describes a plugin that fails, and one that vanished after loading, as unauthorized with the plugin named', async function () {
      const bin = path.join(dir, 'bin2');
      fs.mkdirSync(bin, { recursive: true });
      fs.writeFileSync(path.join(bin, 'aws'), '#!/bin/sh\necho "Error when retrieving token from sso: Token has expired and refresh failed" >&2\nexit 255\n', { mode: 0o755 });
      const loaded = await load([write('sso.yaml', execConfig('aws'))], bin);
      const failing = await rejection(new KubeCluster(kubeConfigFor('gke', loaded)).version());
      assert.equal(failing.described.kind, 'unauthorized');
      assert.equal(failing.described.reason, 'The exec plugin `aws` of context "gke" failed: Error when retrieving token from sso: Token has expired and refresh failed');
      assert.match(failing.described.fix, /aws sso login/);

      fs.writeFileSync(path.join(bin, 'gone-plugin'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
      const vanishing = await load([write('vanish.yaml', execConfig('gone-plugin'))], bin);
      const kc = kubeConfigFor('gke', vanishing);
      fs.rmSync(path.join(bin, 'gone-plugin'));
      const vanished = await rejection(new KubeCluster(kc).version());
      assert.equal(vanished.described.kind, 'unauthorized');
      assert.equal(vanished.described.code, 'ENOENT');
      assert.match(vanished.described.reason, /exec plugin `.*gone-plugin`, which could not be started \(ENOENT\)/);
    });
  });

  describe('describeKubeError on real failures', function () {
    const contextFile = (name: string, server: string, user: string, withCa = true) => write(`${name}.yaml`, [
      'apiVersion: v1', 'kind: Config',
      'clusters:', `- name: ${name}`, '  cluster:', `    server: ${server}`, ...(withCa ? [`    certificate-authority-data: ${caData}`] : []),
      'users:', `- name: ${name}`, '  user:', `    token: ${user}`,
      'contexts:', `- name: ${name}`, '  context:', `    cluster: ${name}`, `    user: ${name}`,
      '',
    ].join('\n'));

    it('unreachable: a context whose server refuses connections', async function () {
      const server = `https://127.0.0.1:${await closedPort()}`;
      const loaded = await load([contextFile('dead', server, 'x')]);
      const err = await rejection(new KubeCluster(kubeConfigFor('dead', loaded)).version());
      assert.equal(err.described.kind, 'unreachable');
      assert.equal(err.described.code, 'ECONNREFUSED');
      assert.equal(err.described.retryable, true);
      assert.equal(err.described.summary, 'Reading the Kubernetes version failed');
      assert.equal(err.described.reason, `The API server ${server} of context "dead" could not be reached (ECONNREFUSED).`);
      assert.match(err.described.fix, /Check the cluster is running and the kubeconfig server address/);
      // Without the server in the context, it is read from the fetch error.
      const again = describeKubeError(err.cause, { activity: 'Listing pods', context: 'dead' });
      assert.match(again.reason, new RegExp(`The API server ${server.replace(/[.:/]/g, '\\$&')} of context "dead"`));
    });

    it('unreachable after the time limit, or cancelled at once: a server that accepts connections but never answers', async function () {
      const sockets: net.Socket[] = [];
      const silent = net.createServer((socket) => sockets.push(socket)); // accepts, then says nothing (not even a TLS hello)
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const server = `https://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
      try {
        const loaded = await load([contextFile('silent', server, 'x')]);
        const quick = new KubeCluster(kubeConfigFor('silent', loaded), { requestTimeoutMs: 500 });
        const started = Date.now();
        const err = await rejection(quick.version());
        assert.ok(Date.now() - started < 5000);
        assert.equal(err.described.kind, 'unreachable');
        assert.equal(err.described.code, 'ETIMEDOUT');
        assert.equal(err.described.reason, `The API server ${server} of context "silent" did not answer in time (ETIMEDOUT).`);

        // Cancelled while the request waits on the connection the server accepted.
        const controller = new AbortController();
        const accepted = new Promise((resolve) => silent.once('connection', resolve));
        const pending = new KubeCluster(kubeConfigFor('silent', loaded)).listNodes(controller.signal);
        await accepted;
        controller.abort();
        await assert.rejects(pending, { name: 'CancelledError' });
      } finally {
        for (const socket of sockets) socket.destroy();
        silent.close();
      }
    });

    it('unreachable, not retryable: a server certificate the kubeconfig does not trust', async function () {
      const loaded = await load([contextFile('no-ca', cluster.server, cluster.tokens.admin, false)]);
      const err = await rejection(new KubeCluster(kubeConfigFor('no-ca', loaded)).version());
      assert.equal(err.described.kind, 'unreachable');
      assert.equal(err.described.retryable, false);
      assert.match(String(err.described.code), /SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/);
      assert.match(err.described.fix, /certificate-authority/);
    });

    it('unauthorized: a token the API server does not know', async function () {
      const loaded = await load([contextFile('stale', cluster.server, 'not-a-valid-token')]);
      const err = await rejection(new KubeCluster(kubeConfigFor('stale', loaded)).listNodes());
      assert.equal(err.described.kind, 'unauthorized');
      assert.equal(err.described.code, 401);
      assert.match(err.described.reason, /rejected the credentials of context "stale"/);
    });

    it('forbidden, notFound and cancelled', async function () {
      const viewer = new KubeCluster(cluster.kubeConfig('sandbox-viewer'));
      const forbidden = await rejection(viewer.listNodes());
      assert.equal(forbidden.described.kind, 'forbidden');
      assert.match(forbidden.described.reason, /User "sandbox-viewer" cannot list resource "nodes"/);
      assert.match(forbidden.described.fix, /cluster-admin/);

      const admin = new KubeCluster(cluster.kubeConfig('sandbox-admin'));
      assert.equal(await admin.readNamespace('no-such-namespace'), undefined);
      const notFound = await rejection(admin.listPods('no-such-namespace-either').then(async () => {
        await admin.apply([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'no-such-namespace' } }], { fieldManager: 'test' });
      }));
      assert.equal(notFound.described.kind, 'notFound');
      assert.match(notFound.described.reason, /namespaces "no-such-namespace" not found/);

      const controller = new AbortController();
      controller.abort();
      await assert.rejects(admin.version(controller.signal), { name: 'CancelledError' });
      assert.equal(describeKubeError(Object.assign(new Error('The user aborted a request.'), { name: 'AbortError' }), { activity: 'x' }).kind, 'cancelled');
    });
  });
});

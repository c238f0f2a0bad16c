// Finding the kube context of a connected cluster, on the real API server: the resolver never sends a request to a
// context the user did not agree to (each context's server is a connection-counting proxy), recognises a connector
// applied without our labels by its activation id, and tries the remembered context first.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { startEmulator, type RunningEmulator } from '../../emulator/src/server';
import { AwsSession } from '../../src/core/aws/session';
import { KubeCluster } from '../../src/core/kube/kubeCluster';
import { kubeConfigFor, loadKubeconfig, type LoadedKubeconfig } from '../../src/core/kube/kubeconfig';
import { ConnectorService } from '../../src/core/connector/connectorService';
import { RegistrationApi } from '../../src/core/connector/registrationApi';
import {
  ClusterContextResolver, describeUnresolved, type ContextMemory, type ContextQuestion, type KubeContexts,
} from '../../src/core/connector/clusterContextResolver';
import { FaultProxy } from '../support/faultProxy';
import { sharedCluster, connectorNamespaceGone } from './shared';
import type { RunningKubeCluster } from '../../scripts/kube/cluster';

const ACCOUNT = '123456789012';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/AmazonEKSConnectorAgentRole`;
const REGION = 'us-west-2';

/** A memory of contexts by cluster ARN, as the extension keeps in its global state. */
class MapMemory implements ContextMemory {
  readonly entries = new Map<string, string>();
  recall(arn: string): string | undefined {
    return this.entries.get(arn);
  }
  remember(arn: string, context: string): void {
    this.entries.set(arn, context);
  }
}

describe('connector: finding the kube context of a connected cluster (real API server, emulator)', function () {
  this.timeout(180_000);
  let kube: RunningKubeCluster;
  let emulator: RunningEmulator;
  let session: AwsSession;
  let admin: k8s.KubeConfig;
  let dir: string;
  /** `elsewhere`: a cluster that cannot be reached (every connection reset). */
  let elsewhere: FaultProxy;
  /** `target`: the real API server, through a counting proxy. */
  let target: FaultProxy;
  /** `bystander`: the real API server too, a context the user never agrees to try. */
  let bystander: FaultProxy;
  const savedEnv = { ...process.env };

  /** The kubeconfig's contexts, with `current` as the current context. */
  async function contexts(current: string): Promise<KubeContexts> {
    const file = path.join(dir, `config-${current}`);
    const cluster = (name: string, proxy: FaultProxy) => `- name: ${name}\n  cluster: {server: "${proxy.url}", certificate-authority: "${kube.caFile}"}`;
    const context = (name: string) => `- name: ${name}\n  context: {cluster: ${name}, user: admin}`;
    fs.writeFileSync(file, [
      'apiVersion: v1', 'kind: Config', `current-context: ${current}`,
      'clusters:', cluster('elsewhere', elsewhere), cluster('target', target), cluster('bystander', bystander),
      'users:', `- name: admin\n  user: {token: "${kube.tokens.admin}"}`,
      'contexts:', context('elsewhere'), context('target'), context('bystander'), '',
    ].join('\n'));
    const loaded: LoadedKubeconfig = await loadKubeconfig({ kubeconfigEnv: file });
    assert.deepEqual(loaded.problems.filter((p) => p.severity === 'error'), []);
    return { contexts: loaded.contexts, currentContext: loaded.currentContext, open: (name, options) => new KubeCluster(kubeConfigFor(name, loaded), options) };
  }

  const root = path.resolve(__dirname, '..', '..');

  /** The built CLI with this kubeconfig; resolves with its exit code and output. */
  function cli(kubeconfig: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const env = {
      PATH: process.env.PATH, HOME: dir, KUBECONFIG: kubeconfig, AWS_ENDPOINT_URL: emulator.url, AWS_ACCESS_KEY_ID: 'AKIACONTEXTRESOLVER1',
      AWS_SECRET_ACCESS_KEY: 'x', AWS_REGION: REGION, AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
    };
    return new Promise((resolve) => {
      execFile(process.execPath, [path.join(root, 'dist', 'cli.js'), ...args], { env, timeout: 120_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      });
    });
  }

  const connections = () => ({ elsewhere: elsewhere.connectionsAccepted, target: target.connectionsAccepted, bystander: bystander.connectionsAccepted });

  before(async () => {
    kube = await sharedCluster();
    admin = kube.kubeConfig('sandbox-admin');
    await connectorNamespaceGone(admin);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eksc-context-'));
    emulator = await startEmulator({
      seed: {
        accountId: ACCOUNT,
        timings: { deregisterSeconds: 1 },
        identities: [{ accessKeyId: 'AKIACONTEXTRESOLVER1', arn: `arn:aws:iam::${ACCOUNT}:user/platform` }],
        iam: { roles: [{ name: 'AmazonEKSConnectorAgentRole', trustService: 'ssm.amazonaws.com' }] },
      },
    });
    Object.assign(process.env, { AWS_ENDPOINT_URL: emulator.url, AWS_ACCESS_KEY_ID: 'AKIACONTEXTRESOLVER1', AWS_SECRET_ACCESS_KEY: 'x', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' });
    session = new AwsSession();
    elsewhere = await FaultProxy.start(kube.server);
    elsewhere.cut();
    target = await FaultProxy.start(kube.server);
    bystander = await FaultProxy.start(kube.server);
  });

  // Whatever a test installed (or a failed one left), the next test and later suites need the namespace gone.
  afterEach(async () => {
    await removeConnector(admin);
  });

  after(async () => {
    for (const proxy of [elsewhere, target, bystander]) await proxy?.stop();
    session?.dispose();
    await emulator?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    process.env = savedEnv;
  });

  it('asks before trying a context other than the current one, and contacts none the user did not choose', async () => {
    const connector = new ConnectorService({ session, kube: new KubeCluster(admin) });
    const registered = await connector.connect({ region: REGION, name: 'found-by-asking', provider: 'OTHER', role: { kind: 'existing', arn: ROLE }, grants: [], nodeSelector: true }, { wait: false });
    const memory = new MapMemory();
    const resolver = new ClusterContextResolver({ kubeconfig: await contexts('elsewhere'), registration: new RegistrationApi(session), memory });
    const before = connections();
    const questions: Array<{ question: ContextQuestion; connections: ReturnType<typeof connections> }> = [];
    const resolution = await resolver.resolve({ region: REGION, name: 'found-by-asking' }, {
      ask: async (question) => {
        questions.push({ question, connections: connections() });
        return ['target'];
      },
    });

    assert.equal(questions.length, 1, 'asked once');
    const [{ question, connections: whenAsked }] = questions;
    assert.ok(whenAsked.elsewhere > before.elsewhere, 'the current context was tried first');
    assert.equal(whenAsked.target, before.target, 'no connection to the second context before the user agreed');
    assert.equal(whenAsked.bystander, before.bystander);
    assert.deepEqual(question.tried.map((t) => [t.context, t.source]), [['elsewhere', 'current']]);
    assert.match(question.tried[0].outcome, /reached|refused|reset|connect/i, question.tried[0].outcome);
    assert.deepEqual(question.untried.map((c) => c.name).sort(), ['bystander', 'target']);

    assert.ok(resolution.found, JSON.stringify(resolution));
    assert.equal(resolution.context, 'target');
    assert.equal(resolution.source, 'chosen');
    assert.ok(connections().target > before.target, 'the chosen context was tried');
    assert.equal(connections().bystander, before.bystander, 'the context nobody chose was never contacted');
    assert.equal(memory.recall(registered.cluster.arn!), 'target', 'the context found is remembered for the cluster');

    // Declined: nothing but the current context is contacted, and the message says what was left alone.
    const declined = await new ClusterContextResolver({ kubeconfig: await contexts('elsewhere'), registration: new RegistrationApi(session) })
      .resolve({ region: REGION, name: 'found-by-asking' }, { ask: async () => undefined });
    assert.equal(declined.found, false);
    assert.equal(connections().bystander, before.bystander);
    if (!declined.found) assert.match(describeUnresolved({ region: REGION, name: 'found-by-asking' }, declined), /elsewhere \(current\) .*Not tried without your consent: (target, bystander|bystander, target)/);

    assert.deepEqual((await connector.deregister({ region: REGION, name: 'found-by-asking' })).remaining, []);
  });

  it('CLI: refuses when the current context does not reach the cluster, names the other contexts and --context, and contacts none of them', async () => {
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--quiet'], { cwd: root });
    const registered = await new RegistrationApi(session).register({ region: REGION, name: 'cli-refusal', provider: 'OTHER', roleArn: ROLE, clientRequestToken: 'cli-refusal-1' });
    await applyAsEksctl(admin, registered.connectorConfig!.activationId!);
    await contexts('elsewhere');
    const kubeconfig = path.join(dir, 'config-elsewhere');
    const before = connections();
    const refused = await cli(kubeconfig, 'status', '--region', REGION, '--name', 'cli-refusal');
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /No kube context was found for cli-refusal in us-west-2\. Looked at: elsewhere \(current\)/);
    assert.match(refused.stderr, /fix: Pass --context <name> with the context of cli-refusal's cluster: one of (target, bystander|bystander, target)\./);
    assert.ok(connections().elsewhere > before.elsewhere, 'the current context was tried');
    assert.equal(connections().target, before.target, 'no other context was contacted');
    assert.equal(connections().bystander, before.bystander);

    // The context named with --context is used, and it is recognised by the activation id.
    const status = await cli(kubeconfig, 'status', '--context', 'target', '--region', REGION, '--name', 'cli-refusal', '--json');
    assert.equal(status.code, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout) as { status: string }).status, 'PENDING');
    assert.ok(connections().target > before.target);
    assert.equal(connections().bystander, before.bystander);
  });

  it('tries the remembered context first, without asking and without contacting the current one', async () => {
    const registered = await new RegistrationApi(session).register({ region: REGION, name: 'remembered', provider: 'OTHER', roleArn: ROLE, clientRequestToken: 'remembered-1' });
    await applyAsEksctl(admin, registered.connectorConfig!.activationId!);
    const memory = new MapMemory();
    memory.remember(registered.arn!, 'target');
    const resolver = new ClusterContextResolver({ kubeconfig: await contexts('elsewhere'), registration: new RegistrationApi(session), memory });
    const before = connections();
    const resolution = await resolver.resolve({ region: REGION, name: 'remembered' }, { ask: async () => assert.fail('asked although the remembered context reaches the cluster') });
    assert.ok(resolution.found);
    assert.equal(resolution.context, 'target');
    assert.equal(resolution.source, 'remembered');
    assert.equal(connections().elsewhere, before.elsewhere, 'the current context was not needed');
    assert.equal(connections().bystander, before.bystander);
  });

  it('finds a connector applied without our labels (as eksctl applies it) by its activation id, and not another registration\'s', async () => {
    const api = new RegistrationApi(session);
    const ours = await api.register({ region: REGION, name: 'by-eksctl', provider: 'OTHER', roleArn: ROLE, clientRequestToken: 'by-eksctl-1' });
    const other = await api.register({ region: REGION, name: 'someone-else', provider: 'OTHER', roleArn: ROLE, clientRequestToken: 'someone-else-1' });
    await applyAsEksctl(admin, ours.connectorConfig!.activationId!);
    const resolver = new ClusterContextResolver({ kubeconfig: await contexts('target'), registration: api });

    const found = await resolver.resolve({ region: REGION, name: 'by-eksctl' }, { ask: async () => assert.fail('asked although the current context reaches the cluster') });
    assert.ok(found.found);
    assert.equal(found.context, 'target');
    assert.equal(found.source, 'current');
    assert.equal(found.cluster?.connectorConfig?.activationId, ours.connectorConfig!.activationId);

    // The same cluster runs a connector, but not this registration's: it is not taken for it.
    const notOurs = await resolver.resolve({ region: REGION, name: 'someone-else' }, { ask: async () => undefined });
    assert.equal(notOurs.found, false);
    assert.equal(notOurs.cluster?.connectorConfig?.activationId, other.connectorConfig!.activationId);
    assert.deepEqual(notOurs.tried.map((t) => [t.context, t.outcome]), [['target', 'runs the connector of another registration']]);
  });
});

/** The connector as eksctl's manifest installs it: no labels or annotations of ours, the activation id in the init container's env. */
async function applyAsEksctl(admin: k8s.KubeConfig, activationId: string): Promise<void> {
  await admin.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: 'eks-connector' } } });
  await admin.makeApiClient(k8s.AppsV1Api).createNamespacedStatefulSet({
    namespace: 'eks-connector',
    body: {
      metadata: { name: 'eks-connector', namespace: 'eks-connector', labels: { app: 'eks-connector' } },
      spec: {
        replicas: 1, serviceName: 'eks-connector', selector: { matchLabels: { app: 'eks-connector' } },
        template: {
          metadata: { labels: { app: 'eks-connector' } },
          spec: {
            initContainers: [{
              name: 'connector-init', image: 'public.ecr.aws/eks-connector/eks-connector:v0.0.9',
              args: ['init', '--activation.id=$(EKS_ACTIVATION_ID)', '--activation.code=$(EKS_ACTIVATION_CODE)', '--agent.region=us-west-2'],
              env: [
                { name: 'EKS_ACTIVATION_ID', value: activationId },
                { name: 'EKS_ACTIVATION_CODE', valueFrom: { secretKeyRef: { name: 'eks-connector-activation-config', key: 'code' } } },
              ],
            }],
            containers: [{ name: 'connector-proxy', image: 'public.ecr.aws/eks-connector/eks-connector:v0.0.9', args: ['server'] }],
          },
        },
      },
    },
  });
}

/** Deletes the eks-connector namespace (with whatever is in it, ours or not) and waits until it is gone. */
async function removeConnector(admin: k8s.KubeConfig): Promise<void> {
  await admin.makeApiClient(k8s.CoreV1Api).deleteNamespace({ name: 'eks-connector' }).catch(() => undefined);
  await connectorNamespaceGone(admin);
}

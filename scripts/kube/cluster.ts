// kube-cluster: a real Kubernetes control plane (kube-apiserver with embedded etcd, kube-controller-manager,
// kube-scheduler, all built from k8s.io/kubernetes by scripts/build-kube.sh) plus kwok, which plays the kubelet
// for simulated nodes, so Pods bound to them become Running. For the test suites and the sandbox.
//
// Every component runs as its own process group on free loopback ports, with its log in <dir>/logs and its pid
// in <dir>/run, so a cluster left running by `kube:start --detach` can be stopped from another process.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import {
  DEFAULT_NODES, SIMULATE_ANNOTATION, applySeed, describeError, sleep, statusCode,
  type KubeSeed, type SeedReport,
} from './seed';
import { resolveSeed } from './seeds';

export { SIMULATE_ANNOTATION, RESTART_INTERVAL_ANNOTATION, RUN_DURATION_ANNOTATION, WAIT_ANNOTATION } from './seed';
export type { KubeSeed, NodeSpec, SeedReport } from './seed';

export const REPO_ROOT = path.resolve(__dirname, '../..');
export const DEFAULT_BIN_DIR = path.join(REPO_ROOT, '.cache/kube/bin');
/** The project's own kwok stages (simulated failures and what a kubelet adds around kwok's stages). */
const STAGES_DIR = path.join(__dirname, 'stages');
/** The kwok release scripts/build-kube.sh installs (its `kwok_version`); its stage files are read from its module source. */
export const KWOK_VERSION = 'v0.8.0';
const KWOK_MODULE = 'sigs.k8s.io/kwok';
/** Where scripts/build-kube.sh records `go mod download -json` for kwok: its `Dir` is the module source. */
export const KWOK_SOURCE_RECORD = path.join(REPO_ROOT, '.cache/kube/kwok-source.json');
/**
 * kwok's own stages, played unchanged from its module source (never copied into this repository): nodes become
 * Ready and keep a lease; pods start (with IPs from their node's range), Job pods complete, deleted pods go.
 */
export const KWOK_STAGE_FILES = [
  'kustomize/stage/node/fast/node-initialize.yaml',
  'kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
  'kustomize/stage/pod/fast/pod-ready.yaml',
  'kustomize/stage/pod/fast/pod-complete.yaml',
  'kustomize/stage/pod/fast/pod-delete.yaml',
] as const;
const MARKER = '.kube-cluster';
/** On a pod made Pending by simulatePodState: its original nodeSelector, to restore it. */
export const ORIGINAL_NODE_SELECTOR_ANNOTATION = 'kube-cluster.test/original-node-selector';
/** The node label a simulated-Pending pod asks for; no node has it, so the scheduler reports Unschedulable. */
export const UNSCHEDULABLE_NODE_LABEL = 'kube-cluster.test/unschedulable';

export const COMPONENTS = ['apiserver', 'controller-manager', 'scheduler', 'kwok'] as const;
export type ComponentName = (typeof COMPONENTS)[number];
export type SimulatedPodState = 'CrashLoopBackOff' | 'Init:Error' | 'Pending' | 'Running';
type ContextName = 'sandbox-admin' | 'sandbox-viewer';

// Enough controllers for workloads, namespaces, garbage collection, service accounts and their legacy token
// Secrets, aggregated ClusterRoles (the built-in `view` is empty without them), node readiness taints (new nodes
// are tainted not-ready until the node-lifecycle controller sees them Ready), EndpointSlices and quotas.
const CONTROLLERS = [
  'deployment-controller', 'replicaset-controller', 'statefulset-controller', 'daemonset-controller', 'job-controller',
  'cronjob-controller', 'replicationcontroller-controller', 'namespace-controller', 'garbage-collector-controller',
  'serviceaccount-controller', 'serviceaccount-token-controller', 'clusterrole-aggregation-controller',
  'root-ca-certificate-publisher-controller', 'endpoints-controller', 'endpointslice-controller',
  'endpointslice-mirroring-controller', 'node-lifecycle-controller', 'taint-eviction-controller',
  'pod-garbage-collector-controller', 'ttl-after-finished-controller', 'disruption-controller',
  'resourcequota-controller', 'service-cidr-controller', 'persistentvolumeclaim-protection-controller',
  'persistentvolume-protection-controller',
];

export interface KubeClusterOptions {
  dir: string;
  /** `sample`, `large`, `none` (the default), a path to a YAML/JSON seed file, or a seed object. */
  seed?: 'sample' | 'large' | 'none' | string | KubeSeed;
  /** Progress lines; default: stderr. */
  log?: (line: string) => void;
  /** Preferred API server port; when it is taken another free port is used. Default: any free port. */
  port?: number;
  /** Folder with the kube-cluster and kwok binaries; default .cache/kube/bin. */
  binDir?: string;
  /** Start-up limit per component, without the seed; default 120 s. */
  timeoutMs?: number;
  /**
   * kwok's module source (`sigs.k8s.io/kwok@v0.8.0`), whose stage files kwok plays; default: the folder
   * scripts/build-kube.sh recorded, else the one in `go env GOMODCACHE`.
   */
  kwokModuleDir?: string;
  /**
   * An authorization webhook (a SubjectAccessReview endpoint, http or https) the API server asks before RBAC, as
   * managed clusters such as GKE and AKS do. Its SelfSubjectRulesReviews are then marked incomplete.
   */
  authorizationWebhook?: { url: string };
}

export interface ComponentInfo { pid: number; port: number; logPath: string }

export interface RunningKubeCluster {
  dir: string;
  kubeconfigPath: string;
  /** https://127.0.0.1:<port> */
  server: string;
  adminContext: 'sandbox-admin';
  viewerContext: 'sandbox-viewer';
  /** Bearer tokens of the static users `sandbox-admin` (system:masters) and `sandbox-viewer` (ClusterRole view). */
  tokens: { admin: string; viewer: string };
  /** The CA that signed the API server's serving certificate. */
  caFile: string;
  logDir: string;
  components: Record<ComponentName, ComponentInfo>;
  /** What the start-up seed created and how long it took. */
  seed: SeedReport;
  /** A client config for one of the two contexts (default sandbox-admin). */
  kubeConfig(context?: ContextName): k8s.KubeConfig;
  /** Adds a seed (name, file path or object) to the running cluster and waits for its workloads. */
  applySeed(seed: string | KubeSeed): Promise<SeedReport>;
  /**
   * Puts a pod into a state a kubelet would report: CrashLoopBackOff and Init:Error through kwok stages keyed on
   * the pod annotation `kube-cluster.test/simulate`; Pending by re-creating the (uncontrolled) pod with a node
   * selector no node satisfies; Running undoes either. Resolves once the pod's status shows the state.
   */
  simulatePodState(namespace: string, pod: string, state: SimulatedPodState): Promise<void>;
  /** Keeps the processes running after this Node process exits (for `kube:start --detach`). */
  detach(): void;
  stop(): Promise<void>;
}

export class KubeClusterError extends Error {
  constructor(message: string, readonly component?: ComponentName, readonly logPath?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KubeClusterError';
  }
}

interface Proc {
  name: ComponentName;
  pid: number;
  port: number;
  child: ChildProcess;
  logPath: string;
  /** Log size when this process started: the part of the log that belongs to it. */
  logOffset: number;
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  exited: Promise<void>;
}

interface Layout {
  dir: string; marker: string; run: string; logs: string; etcd: string; pki: string; config: string;
  kubeconfig: string; tokens: string; state: string; saKey: string; ca: string;
}

function layout(dir: string): Layout {
  const abs = path.resolve(dir);
  return {
    dir: abs,
    marker: path.join(abs, MARKER),
    run: path.join(abs, 'run'),
    logs: path.join(abs, 'logs'),
    etcd: path.join(abs, 'etcd'),
    pki: path.join(abs, 'pki'),
    config: path.join(abs, 'config'),
    kubeconfig: path.join(abs, 'kubeconfig'),
    tokens: path.join(abs, 'tokens.csv'),
    state: path.join(abs, 'cluster.json'),
    saKey: path.join(abs, 'pki', 'sa.key'),
    ca: path.join(abs, 'pki', 'ca.crt'),
  };
}

// Process groups of clusters started by this process and not detached: killed if this process exits, so a test
// run that crashes does not leave a control plane behind.
const attached = new Set<Proc>();
process.on('exit', () => {
  for (const proc of attached) killGroup(proc.pid, 'SIGKILL');
});

export async function startKubeCluster(options: KubeClusterOptions): Promise<RunningKubeCluster> {
  const t0 = Date.now();
  const log = options.log ?? ((line: string) => process.stderr.write(`kube-cluster: ${line}\n`));
  const timeoutMs = options.timeoutMs ?? 120_000;
  const binDir = path.resolve(options.binDir ?? DEFAULT_BIN_DIR);
  const kubeCluster = requireBinary(binDir, 'kube-cluster');
  const kwok = requireBinary(binDir, 'kwok');
  const stages = kwokStages(options.kwokModuleDir);
  const seed = resolveSeed(options.seed);
  const l = layout(options.dir);
  prepareDir(l, log);

  const tokens = { admin: randomToken(), viewer: randomToken(), controllerManager: randomToken(), scheduler: randomToken(), kwok: randomToken() };
  writePrivate(l.tokens, [
    `${tokens.admin},sandbox-admin,sandbox-admin,"system:masters"`,
    `${tokens.viewer},sandbox-viewer,sandbox-viewer,"sandbox:viewers"`,
    `${tokens.controllerManager},system:kube-controller-manager,system:kube-controller-manager`,
    `${tokens.scheduler},system:kube-scheduler,system:kube-scheduler`,
    // kwok stands in for every kubelet; without the Node authorizer the simplest honest identity is an admin.
    `${tokens.kwok},kwok-controller,kwok-controller,"system:masters"`,
  ].join('\n') + '\n');
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  writePrivate(l.saKey, privateKey.export({ type: 'pkcs1', format: 'pem' }).toString());

  const procs: Proc[] = [];
  let stopping = false;
  const launcher = new Launcher(l, procs, log, timeoutMs);
  try {
    const apiserver = await launcher.launch({
      name: 'apiserver', binary: kubeCluster, ports: 3, preferred: options.port,
      args: ([port]) => [
        'apiserver', '--bind-address=127.0.0.1', `--secure-port=${port}`, '--advertise-address=127.0.0.1',
        // The lease reconciler would publish a loopback address as the `kubernetes` Service's endpoint (and 1.36
        // refuses to); nothing in the sandbox reaches the API server through that Service.
        '--endpoint-reconciler-type=none',
        `--cert-dir=${l.pki}`, '--service-cluster-ip-range=10.96.0.0/16',
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${l.saKey}`, `--service-account-signing-key-file=${l.saKey}`,
        `--token-auth-file=${l.tokens}`, '--allow-privileged=true', '--profiling=false',
        ...authorizationArgs(l, options.authorizationWebhook),
      ],
      env: ([, etcdClient, etcdPeer]) => ({
        KUBE_CLUSTER_ETCD_DIR: l.etcd,
        KUBE_CLUSTER_ETCD_CLIENT_URL: `http://127.0.0.1:${etcdClient}`,
        KUBE_CLUSTER_ETCD_PEER_URL: `http://127.0.0.1:${etcdPeer}`,
      }),
      ready: ([port]) => httpOk(`https://127.0.0.1:${port}/readyz`),
    });
    const server = `https://127.0.0.1:${apiserver.port}`;
    log(`apiserver ready at ${server} after ${seconds(t0)}`);

    // The self-signed serving certificate file holds the leaf followed by the CA that signed it.
    const bundle = fs.readFileSync(path.join(l.pki, 'apiserver.crt'), 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
    const caPem = bundle.find((pem) => new crypto.X509Certificate(pem).ca) ?? bundle[bundle.length - 1];
    if (!caPem) throw new KubeClusterError(`no certificate in ${path.join(l.pki, 'apiserver.crt')}`, 'apiserver');
    fs.writeFileSync(l.ca, caPem);
    const caData = Buffer.from(caPem).toString('base64');

    fs.writeFileSync(l.kubeconfig, kubeconfigYaml(server, caData, [
      { name: 'sandbox-admin', token: tokens.admin }, { name: 'sandbox-viewer', token: tokens.viewer },
    ], 'sandbox-admin'), { mode: 0o600 });
    const componentConfig = (name: string, token: string) => {
      const file = path.join(l.config, `${name}.kubeconfig`);
      fs.writeFileSync(file, kubeconfigYaml(server, caData, [{ name, token }], name), { mode: 0o600 });
      return file;
    };
    const admin = loadKubeConfig(l.kubeconfig, 'sandbox-admin');
    await k8s.KubernetesObjectApi.makeApiClient(admin).patch({
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding',
      metadata: { name: 'sandbox-viewer-view' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'sandbox-viewer' }],
    } as k8s.V1ClusterRoleBinding, undefined, undefined, 'kube-cluster', true, k8s.PatchStrategy.ServerSideApply);

    const kcmConfig = componentConfig('controller-manager', tokens.controllerManager);
    const schedulerConfig = path.join(l.config, 'scheduler.yaml');
    fs.writeFileSync(schedulerConfig, [
      'apiVersion: kubescheduler.config.k8s.io/v1',
      'kind: KubeSchedulerConfiguration',
      'clientConnection:',
      `  kubeconfig: ${JSON.stringify(componentConfig('scheduler', tokens.scheduler))}`,
      // The default 50 requests/s would take minutes to bind the large seed's 5,000 pods.
      '  qps: 1000',
      '  burst: 2000',
      'leaderElection:',
      '  leaderElect: false',
      '',
    ].join('\n'));
    const kwokKubeconfig = componentConfig('kwok', tokens.kwok);
    const kwokConfig = path.join(l.config, 'kwok.yaml');
    fs.writeFileSync(kwokConfig, kwokConfiguration(stages));

    const allowHealth = '--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics';
    await Promise.all([
      launcher.launch({
        name: 'controller-manager', binary: kubeCluster, ports: 1,
        args: ([port]) => [
          'controller-manager', `--kubeconfig=${kcmConfig}`, '--leader-elect=false', '--bind-address=127.0.0.1', `--secure-port=${port}`,
          allowHealth, `--controllers=${CONTROLLERS.join(',')}`, '--use-service-account-credentials=true',
          `--service-account-private-key-file=${l.saKey}`, `--root-ca-file=${l.ca}`, '--cluster-name=sandbox',
          '--kube-api-qps=1000', '--kube-api-burst=2000', '--concurrent-deployment-syncs=10', '--concurrent-replicaset-syncs=10',
          '--concurrent-statefulset-syncs=10', '--profiling=false',
        ],
        ready: ([port]) => httpOk(`https://127.0.0.1:${port}/healthz`),
      }),
      launcher.launch({
        name: 'scheduler', binary: kubeCluster, ports: 1,
        args: ([port]) => ['scheduler', `--config=${schedulerConfig}`, '--bind-address=127.0.0.1', `--secure-port=${port}`, allowHealth],
        ready: ([port]) => httpOk(`https://127.0.0.1:${port}/healthz`),
      }),
      launcher.launch({
        name: 'kwok', binary: kwok, ports: 1,
        args: ([port]) => [
          `--kubeconfig=${kwokKubeconfig}`, `--config=${kwokConfig}`, '--manage-all-nodes=false',
          '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake', `--server-address=127.0.0.1:${port}`,
          '--node-lease-duration-seconds=40',
        ],
        ready: ([port]) => httpOk(`http://127.0.0.1:${port}/healthz`),
      }),
    ]);
    log(`controller-manager, scheduler and kwok ready after ${seconds(t0)}`);

    // Pods are refused until the serviceaccount controller made `default`, and the viewer sees nothing until the
    // aggregation controller filled the `view` ClusterRole.
    const core = admin.makeApiClient(k8s.CoreV1Api);
    const rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);
    await launcher.waitFor('the default ServiceAccount and the aggregated view ClusterRole', async () => {
      const [sa, view] = await Promise.all([
        core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' }).then(() => true, () => false),
        rbac.readClusterRole({ name: 'view' }).then((r) => (r.rules ?? []).length > 0, () => false),
      ]);
      return sa && view;
    });

    const startSeed: KubeSeed = { ...seed, nodes: seed.nodes?.length ? seed.nodes : DEFAULT_NODES };
    const report = await launcher.guard(applySeed(admin, startSeed, { log, nodeIndexBase: 0 }));
    log(`seed ${seed.name}: ${report.nodes} nodes, ${report.objects} objects, ${report.podsRunning}/${report.pods} pods Running, in ${(report.ms / 1000).toFixed(1)} s`);

    const components = Object.fromEntries(procs.map((p) => [p.name, { pid: p.pid, port: p.port, logPath: p.logPath }])) as Record<ComponentName, ComponentInfo>;
    fs.writeFileSync(l.state, JSON.stringify({ server, kubeconfig: l.kubeconfig, startedAt: new Date(t0).toISOString(), components }, null, 2) + '\n');
    for (const proc of procs) {
      void proc.exited.then(() => {
        if (!stopping) log(`${proc.name} (pid ${proc.pid}) exited unexpectedly (${exitText(proc)}); see ${proc.logPath}`);
      });
    }
    log(`ready in ${seconds(t0)}: KUBECONFIG=${l.kubeconfig} (contexts sandbox-admin, sandbox-viewer), server ${server}`);

    const cluster: RunningKubeCluster = {
      dir: l.dir, kubeconfigPath: l.kubeconfig, server, adminContext: 'sandbox-admin', viewerContext: 'sandbox-viewer',
      tokens: { admin: tokens.admin, viewer: tokens.viewer }, caFile: l.ca, logDir: l.logs, components, seed: report,
      kubeConfig: (context = 'sandbox-admin') => loadKubeConfig(l.kubeconfig, context),
      applySeed: (extra) => applySeed(admin, resolveSeed(extra), { log }),
      simulatePodState: (namespace, pod, state) => simulatePodState(admin, namespace, pod, state),
      detach: () => {
        for (const proc of procs) {
          attached.delete(proc);
          proc.child.unref();
        }
      },
      stop: async () => {
        stopping = true;
        await stopProcs(procs, l);
        log(`stopped (${l.dir})`);
      },
    };
    return cluster;
  } catch (err) {
    stopping = true;
    await stopProcs(procs, l).catch((stopErr: unknown) => log(`cleanup after the failed start: ${describeError(stopErr)}`));
    throw err instanceof KubeClusterError ? err : new KubeClusterError(`kube-cluster did not start: ${describeError(err)}`, undefined, undefined, { cause: err });
  }
}

/** Stops every process a cluster in `dir` started, found through its pid files (for `kube:stop`). */
export async function stopKubeCluster(dir: string, log: (line: string) => void = () => undefined): Promise<number> {
  const l = layout(dir);
  const live = liveComponents(l);
  if (live.length === 0) {
    removePidFiles(l);
    log(`nothing is running in ${l.dir}`);
    return 0;
  }
  await terminateGroups(live.map((c) => c.pid));
  removePidFiles(l);
  log(`stopped ${live.map((c) => `${c.name} (pid ${c.pid})`).join(', ')}`);
  return live.length;
}

/** Pids of live processes in the given process groups, read from /proc (zombies count as gone). */
export function processGroupMembers(pgids: readonly number[]): number[] {
  const wanted = new Set(pgids);
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (stat && wanted.has(stat.pgrp) && stat.state !== 'Z') found.push(Number(entry));
  }
  return found;
}

// ---------------------------------------------------------------------------------------------------------------

interface LaunchSpec {
  name: ComponentName;
  binary: string;
  /** How many free ports the component needs; the first is its own and is health-checked. */
  ports: number;
  preferred?: number;
  args: (ports: number[]) => string[];
  env?: (ports: number[]) => Record<string, string>;
  ready: (ports: number[]) => Promise<boolean>;
}

/** Starts components and waits for them, failing fast (with the log tail) when any started component exits. */
class Launcher {
  constructor(private readonly l: Layout, private readonly procs: Proc[], private readonly log: (line: string) => void, private readonly timeoutMs: number) {}

  async launch(spec: LaunchSpec): Promise<Proc> {
    // A port that was free when picked can be taken before the component binds it; then pick again.
    for (let attempt = 1; ; attempt++) {
      const ports = await freePorts(spec.ports, attempt === 1 ? spec.preferred : undefined, this.log);
      const proc = spawnComponent(this.l, spec.name, spec.binary, spec.args(ports), spec.env?.(ports) ?? {}, ports[0]);
      this.procs.push(proc);
      try {
        await this.waitFor(`${spec.name} to answer its health check`, () => spec.ready(ports), proc);
        return proc;
      } catch (err) {
        if (attempt < 3 && proc.exit && /address already in use/.test(readLog(proc))) {
          this.log(`${spec.name}: a port was taken meanwhile; retrying with other ports`);
          this.procs.splice(this.procs.indexOf(proc), 1);
          attached.delete(proc);
          continue;
        }
        throw err;
      }
    }
  }

  /** Polls `check` until true; rejects as soon as a component exits or the time limit passes. */
  async waitFor(what: string, check: () => Promise<boolean>, blame?: Proc): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      this.throwIfExited();
      if (await check().catch(() => false)) return;
      this.throwIfExited();
      if (Date.now() > deadline) {
        const culprit = blame ?? this.procs[this.procs.length - 1];
        throw new KubeClusterError(
          `timed out after ${this.timeoutMs / 1000} s waiting for ${what}.` + (culprit ? ` Last lines of ${culprit.logPath}:\n${tail(readLog(culprit))}` : ''),
          culprit?.name, culprit?.logPath);
      }
      await sleep(200);
    }
  }

  /** Runs `work` but rejects early when a component exits meanwhile. */
  async guard<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const died = new Promise<never>((_, reject) => {
      timer = setInterval(() => {
        try {
          this.throwIfExited();
        } catch (err) {
          reject(err);
        }
      }, 200);
    });
    try {
      return await Promise.race([work, died]);
    } finally {
      clearInterval(timer);
    }
  }

  private throwIfExited(): void {
    const dead = this.procs.find((p) => p.exit);
    if (dead) {
      throw new KubeClusterError(
        `${dead.name} exited early (${exitText(dead)}). Last lines of ${dead.logPath}:\n${tail(readLog(dead))}`,
        dead.name, dead.logPath);
    }
  }
}

function spawnComponent(l: Layout, name: ComponentName, binary: string, args: string[], env: Record<string, string>, port: number): Proc {
  const logPath = path.join(l.logs, `${name}.log`);
  const logOffset = fs.existsSync(logPath) ? fs.statSync(logPath).size : 0;
  const fd = fs.openSync(logPath, 'a');
  fs.writeSync(fd, `# ${new Date().toISOString()} ${binary} ${args.join(' ')}\n`);
  // detached: a process group of its own, which survives this process when detached and can be killed as a whole.
  const child = spawn(binary, args, { detached: true, stdio: ['ignore', fd, fd], env: { ...process.env, ...env } });
  fs.closeSync(fd);
  let resolveExit = () => undefined as void;
  const exited = new Promise<void>((resolve) => { resolveExit = resolve; });
  const proc: Proc = { name, pid: child.pid ?? -1, port, child, logPath, logOffset, exited };
  child.once('exit', (code, signal) => {
    proc.exit = { code, signal };
    attached.delete(proc);
    resolveExit();
  });
  child.once('error', (err) => {
    fs.appendFileSync(logPath, `kube-cluster: could not start ${binary}: ${err.message}\n`);
    proc.exit = { code: null, signal: null };
    resolveExit();
  });
  if (child.pid !== undefined) {
    attached.add(proc);
    fs.writeFileSync(path.join(l.run, `${name}.pid`), `${child.pid}\n`);
  }
  return proc;
}

async function stopProcs(procs: Proc[], l: Layout): Promise<void> {
  const running = procs.filter((p) => p.pid > 0);
  // Children of this process: wait for their exit events too, so none is left a zombie.
  await terminateGroups(running.map((p) => p.pid), Promise.all(running.map((p) => p.exited)));
  for (const proc of running) attached.delete(proc);
  removePidFiles(l);
}

/** SIGTERM to each process group, SIGKILL after 10 s, then checks /proc that no member survived. */
async function terminateGroups(pgids: number[], exited?: Promise<unknown>): Promise<void> {
  for (const pgid of pgids) killGroup(pgid, 'SIGTERM');
  const gone = async (ms: number) => {
    const deadline = Date.now() + ms;
    while (processGroupMembers(pgids).length > 0 && Date.now() < deadline) await sleep(100);
    return processGroupMembers(pgids).length === 0;
  };
  if (!(await gone(10_000))) {
    for (const pgid of pgids) killGroup(pgid, 'SIGKILL');
    await gone(5_000);
  }
  if (exited) await Promise.race([exited, sleep(2_000)]);
  const survivors = processGroupMembers(pgids);
  if (survivors.length > 0) throw new KubeClusterError(`processes survived SIGKILL: ${survivors.join(', ')}`);
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

function readProcStat(pid: number): { state: string; pgrp: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses; the fields after the last ')' are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

/** Components from pid files whose process is alive and really ours (its command line mentions the folder). */
function liveComponents(l: Layout): { name: string; pid: number }[] {
  if (!fs.existsSync(l.run)) return [];
  const live: { name: string; pid: number }[] = [];
  for (const file of fs.readdirSync(l.run).filter((f) => f.endsWith('.pid'))) {
    const pid = Number(fs.readFileSync(path.join(l.run, file), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const stat = readProcStat(pid);
    if (!stat || stat.state === 'Z') continue;
    let cmdline: string;
    try {
      cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    // A pid reused by an unrelated process must not be stopped: ours name the folder in their arguments.
    if (cmdline.includes(l.dir)) live.push({ name: file.replace(/\.pid$/, ''), pid });
  }
  return live;
}

function removePidFiles(l: Layout): void {
  fs.rmSync(l.run, { recursive: true, force: true });
}

/**
 * Makes `dir` ready for a fresh cluster. Refuses a non-empty folder kube-cluster did not make and a folder whose
 * cluster is still running; removes what an earlier run left (etcd data, certificates, pid files of a crashed run)
 * and keeps that run's logs in logs.previous/.
 */
function prepareDir(l: Layout, log: (line: string) => void): void {
  if (fs.existsSync(l.dir) && fs.readdirSync(l.dir).length > 0) {
    if (!fs.existsSync(l.marker)) {
      throw new KubeClusterError(`${l.dir} is not empty and was not made by kube-cluster (no ${MARKER} file in it); use an empty or new folder`);
    }
    const live = liveComponents(l);
    if (live.length > 0) {
      throw new KubeClusterError(
        `a cluster is already running in ${l.dir} (${live.map((c) => `${c.name} pid ${c.pid}`).join(', ')}); ` +
        `stop it first: npm run kube:stop -- --dir ${l.dir}`);
    }
    const crashed = fs.existsSync(l.run) && fs.readdirSync(l.run).length > 0;
    log(crashed
      ? `${l.dir} holds a cluster that was not stopped (its processes are gone); removing its data and starting fresh`
      : `removing the previous cluster's data in ${l.dir}`);
    for (const p of [l.run, l.etcd, l.pki, l.config, l.kubeconfig, l.tokens, l.state, path.join(l.dir, 'logs.previous')]) {
      fs.rmSync(p, { recursive: true, force: true });
    }
    if (fs.existsSync(l.logs)) fs.renameSync(l.logs, path.join(l.dir, 'logs.previous'));
  }
  for (const d of [l.dir, l.run, l.logs, l.pki, l.config]) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
  fs.writeFileSync(l.marker, 'This folder holds a kube-cluster (scripts/kube). Stop it with: npm run kube:stop -- --dir <this folder>\n');
}

function requireBinary(binDir: string, name: string): string {
  const file = path.join(binDir, name);
  try {
    fs.accessSync(file, fs.constants.X_OK);
  } catch {
    throw new KubeClusterError(
      `${file} is missing. Build it with \`npm run kube:build\` (scripts/build-kube.sh; about 10 minutes the first time, it needs Go and the Go module proxy).`);
  }
  return file;
}

async function freePorts(count: number, preferred: number | undefined, log: (line: string) => void): Promise<number[]> {
  const ports: number[] = [];
  if (preferred !== undefined) {
    const got = await listenPort(preferred).catch(() => undefined);
    if (got === undefined) log(`port ${preferred} is in use; using another free port`);
    else ports.push(got);
  }
  while (ports.length < count) {
    const port = await listenPort(0);
    if (!ports.includes(port)) ports.push(port);
  }
  return ports;
}

function listenPort(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      const chosen = typeof address === 'object' && address ? address.port : port;
      server.close(() => resolve(chosen));
    });
  });
}

/** True when the URL answers 200 (TLS not verified: this only checks that the component is up). */
function httpOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const get = url.startsWith('https:') ? https.get : http.get;
    const req = get(url, { rejectUnauthorized: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
  });
}

/**
 * The stage documents kwok plays: kwok's own from its module source, then the project's from stages/. When several
 * stages match a pod, kwok picks at random among those with a positive weight (any of them, when none has one);
 * kwok's have weight 0 and the project's weight 1, so where one of the project's stages applies it always wins.
 */
function kwokStages(moduleDir: string | undefined): string[] {
  const source = moduleDir ? path.resolve(moduleDir) : findKwokModuleDir();
  const theirs = KWOK_STAGE_FILES.map((f) => {
    const file = path.join(source, f);
    try {
      return fs.readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new KubeClusterError(`cannot read the kwok stage file ${file}: ${describeError(err)}. ${KWOK_SOURCE_HINT}`, undefined, undefined, { cause: err });
    }
  });
  const own = fs.readdirSync(STAGES_DIR).filter((f) => f.endsWith('.yaml')).sort()
    .map((f) => fs.readFileSync(path.join(STAGES_DIR, f), 'utf8').trim());
  return [...theirs, ...own];
}

const KWOK_SOURCE_HINT =
  `Run \`npm run kube:build\` (scripts/build-kube.sh downloads the ${KWOK_MODULE}@${KWOK_VERSION} module source into the Go module cache and records where).`;

/**
 * The folder of kwok's module source holding every file in KWOK_STAGE_FILES: the one scripts/build-kube.sh
 * recorded, else `$(go env GOMODCACHE)/sigs.k8s.io/kwok@<version>`. Throws, saying to run `npm run kube:build`,
 * when neither has them.
 */
export function findKwokModuleDir(): string {
  const candidates: string[] = [];
  try {
    const record = JSON.parse(fs.readFileSync(KWOK_SOURCE_RECORD, 'utf8')) as { Path?: string; Version?: string; Dir?: string };
    if (record.Path === KWOK_MODULE && record.Version === KWOK_VERSION && record.Dir) candidates.push(record.Dir);
  } catch {
    // no record (or an unreadable one): look in the module cache
  }
  const complete = (dir: string) => KWOK_STAGE_FILES.every((f) => fs.existsSync(path.join(dir, f)));
  if (candidates.length > 0 && complete(candidates[0])) return candidates[0];
  const go = spawnSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8', timeout: 15_000 });
  const modCache = go.status === 0 ? go.stdout.trim() : '';
  // Module paths are stored case-encoded ('!' before an upper-case letter); sigs.k8s.io/kwok has none.
  if (modCache) candidates.push(path.join(modCache, `${KWOK_MODULE}@${KWOK_VERSION}`));
  const found = candidates.find(complete);
  if (found) return found;
  const looked = candidates.length > 0 ? `looked in ${[...new Set(candidates)].join(' and ')}` : `no ${path.relative(REPO_ROOT, KWOK_SOURCE_RECORD)} and no \`go\` to ask for GOMODCACHE`;
  throw new KubeClusterError(`kwok ${KWOK_VERSION}'s stage files (${KWOK_STAGE_FILES[0]} and others) were not found (${looked}). ${KWOK_SOURCE_HINT}`);
}

function kwokConfiguration(stages: string[]): string {
  return [
    [
      'apiVersion: config.kwok.x-k8s.io/v1alpha1',
      'kind: KwokConfiguration',
      'options:',
      // kwok only defaults these when it makes its own configuration; 0 would stop it.
      '  podPlayStageParallelism: 16',
      '  nodePlayStageParallelism: 4',
      '  nodeLeaseParallelism: 4',
      '  podsOnNodeSyncParallelism: 2',
    ].join('\n'),
    ...stages,
  ].join('\n---\n') + '\n';
}

/** RBAC alone, or an authorization webhook first (no caching, so every decision reaches it) and then RBAC. */
function authorizationArgs(l: Layout, webhook: KubeClusterOptions['authorizationWebhook']): string[] {
  if (!webhook) return ['--authorization-mode=RBAC'];
  const file = path.join(l.config, 'authorization-webhook.kubeconfig');
  fs.writeFileSync(file, [
    'apiVersion: v1', 'kind: Config',
    'clusters:', '- name: authorizer', '  cluster:', `    server: ${webhook.url}`,
    'users:', '- name: apiserver', '  user: {}',
    'contexts:', '- name: authorizer', '  context:', '    cluster: authorizer', '    user: apiserver',
    'current-context: authorizer', '',
  ].join('\n'));
  return [
    '--authorization-mode=Webhook,RBAC', `--authorization-webhook-config-file=${file}`, '--authorization-webhook-version=v1',
    '--authorization-webhook-cache-authorized-ttl=0s', '--authorization-webhook-cache-unauthorized-ttl=0s',
  ];
}

function kubeconfigYaml(server: string, caData: string, users: { name: string; token: string }[], current: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: sandbox',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${caData}`,
    'users:',
    ...users.flatMap((u) => [`- name: ${u.name}`, '  user:', `    token: ${u.token}`]),
    'contexts:',
    ...users.flatMap((u) => [`- name: ${u.name}`, '  context:', '    cluster: sandbox', `    user: ${u.name}`]),
    `current-context: ${current}`,
    '',
  ].join('\n');
}

function loadKubeConfig(file: string, context: ContextName): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(file);
  kc.setCurrentContext(context);
  return kc;
}

function writePrivate(file: string, text: string): void {
  fs.writeFileSync(file, text, { mode: 0o600 });
}

function randomToken(): string {
  return crypto.randomBytes(24).toString('hex');
}

function readLog(proc: Proc): string {
  try {
    const fd = fs.openSync(proc.logPath, 'r');
    const size = fs.fstatSync(fd).size;
    const start = Math.max(proc.logOffset, size - 64 * 1024);
    const buffer = Buffer.alloc(size - start);
    fs.readSync(fd, buffer, 0, buffer.length, start);
    fs.closeSync(fd);
    return buffer.toString('utf8');
  } catch {
    return '';
  }
}

function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).map((line) => `  ${line}`).join('\n');
}

function exitText(proc: Proc): string {
  if (!proc.exit) return 'running';
  return proc.exit.signal ? `signal ${proc.exit.signal}` : proc.exit.code === null ? 'could not be started' : `exit code ${proc.exit.code}`;
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

// --- simulated pod states ---------------------------------------------------------------------------------------

async function simulatePodState(kc: k8s.KubeConfig, namespace: string, name: string, state: SimulatedPodState): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const pod = await core.readNamespacedPod({ name, namespace }).catch((err: unknown) => {
    throw new Error(`simulatePodState: pod ${namespace}/${name}: ${describeError(err)}`);
  });
  const madePending = pod.metadata?.annotations?.[ORIGINAL_NODE_SELECTOR_ANNOTATION] !== undefined;
  const where = `pod ${namespace}/${name}`;

  if (state === 'Pending') {
    if (madePending) return waitForPod(kc, namespace, name, 'Pending', isUnschedulable);
    const controller = pod.metadata?.ownerReferences?.find((o) => o.controller);
    if (controller) {
      throw new Error(
        `simulatePodState: ${where} is controlled by ${controller.kind} ${controller.name}, which would replace an unscheduled copy or delete it ` +
        'as surplus. For an unschedulable controlled pod, give its workload a nodeSelector no node matches (the sample seed\'s ml/trainer does).');
    }
    await recreate(kc, pod, (copy) => {
      copy.metadata!.annotations = {
        ...copy.metadata!.annotations,
        [ORIGINAL_NODE_SELECTOR_ANNOTATION]: JSON.stringify(pod.spec?.nodeSelector ?? {}),
        [SIMULATE_ANNOTATION]: 'Pending',
      };
      copy.spec!.nodeSelector = { ...pod.spec?.nodeSelector, [UNSCHEDULABLE_NODE_LABEL]: 'true' };
    });
    return waitForPod(kc, namespace, name, 'Pending', isUnschedulable);
  }

  if (state === 'Init:Error' && (pod.spec?.initContainers ?? []).length === 0) {
    throw new Error(`simulatePodState: ${where} has no init containers, so it cannot show Init:Error`);
  }
  if (madePending) {
    // Undo the simulated Pending first: the pod must be bound before a kubelet (kwok) reports on it.
    await recreate(kc, pod, (copy) => {
      const annotations: Record<string, string> = { ...copy.metadata!.annotations, [SIMULATE_ANNOTATION]: state };
      delete annotations[ORIGINAL_NODE_SELECTOR_ANNOTATION];
      copy.metadata!.annotations = annotations;
      const original = JSON.parse(pod.metadata!.annotations![ORIGINAL_NODE_SELECTOR_ANNOTATION]) as Record<string, string>;
      copy.spec!.nodeSelector = Object.keys(original).length > 0 ? original : undefined;
    });
  } else {
    if (!pod.spec?.nodeName) {
      throw new Error(`simulatePodState: ${where} is not bound to a node (${describePodStatus(pod)}), so no kubelet runs it`);
    }
    await k8s.KubernetesObjectApi.makeApiClient(kc).patch(
      { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, annotations: { [SIMULATE_ANNOTATION]: state } } },
      undefined, undefined, 'kube-cluster', undefined, k8s.PatchStrategy.MergePatch);
  }
  const check: Record<Exclude<SimulatedPodState, 'Pending'>, (p: k8s.V1Pod) => boolean> = {
    CrashLoopBackOff: (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff',
    'Init:Error': (p) => p.status?.initContainerStatuses?.[0]?.state?.terminated?.reason === 'Error',
    Running: (p) => p.status?.phase === 'Running' && p.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True',
  };
  return waitForPod(kc, namespace, name, state, check[state]);
}

function isUnschedulable(p: k8s.V1Pod): boolean {
  return !p.spec?.nodeName && p.status?.conditions?.find((c) => c.type === 'PodScheduled')?.reason === 'Unschedulable';
}

function describePodStatus(p: k8s.V1Pod): string {
  const scheduled = p.status?.conditions?.find((c) => c.type === 'PodScheduled');
  return [p.status?.phase, scheduled?.reason, scheduled?.message].filter(Boolean).join(': ');
}

/** Deletes the pod at once and creates it again under the same name, changed by `edit`, unbound. */
async function recreate(kc: k8s.KubeConfig, pod: k8s.V1Pod, edit: (copy: k8s.V1Pod) => void): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const name = pod.metadata!.name!;
  const namespace = pod.metadata!.namespace!;
  const copy: k8s.V1Pod = {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name, namespace, labels: pod.metadata?.labels, annotations: { ...pod.metadata?.annotations },
      ownerReferences: pod.metadata?.ownerReferences,
    },
    spec: { ...pod.spec!, nodeName: undefined },
  };
  edit(copy);
  await core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 });
  const deadline = Date.now() + 30_000;
  while (await core.readNamespacedPod({ name, namespace }).then((p) => p.metadata?.uid === pod.metadata?.uid, (err: unknown) => statusCode(err) !== 404)) {
    if (Date.now() > deadline) throw new Error(`simulatePodState: pod ${namespace}/${name} was not deleted within 30 s`);
    await sleep(100);
  }
  await core.createNamespacedPod({ namespace, body: copy });
}

async function waitForPod(kc: k8s.KubeConfig, namespace: string, name: string, state: string, done: (p: k8s.V1Pod) => boolean): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const deadline = Date.now() + 30_000;
  let last: k8s.V1Pod | undefined;
  for (;;) {
    last = await core.readNamespacedPod({ name, namespace }).catch(() => undefined);
    if (last && done(last)) return;
    if (Date.now() > deadline) {
      throw new Error(`simulatePodState: pod ${namespace}/${name} did not reach ${state} within 30 s (now ${last ? describePodStatus(last) : 'missing'})`);
    }
    await sleep(150);
  }
}


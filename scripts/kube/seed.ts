// Seeds for the kube-cluster sandbox: simulated nodes plus ordinary manifests, applied through
// @kubernetes/client-node with server-side apply, then waited on until the workloads they define are running.
import fs from 'node:fs';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';

/** Pods whose annotation names a failure state are driven by kube-cluster's kwok stages (see stages/). */
export const SIMULATE_ANNOTATION = 'kube-cluster.test/simulate';
/** Go duration between simulated crash-loop restarts (default 10s). */
export const RESTART_INTERVAL_ANNOTATION = 'kube-cluster.test/restart-interval';
/** Go duration a Job's pod runs before it completes (default: at once). */
export const RUN_DURATION_ANNOTATION = 'kube-cluster.test/run-duration';
/** `"false"` on a workload: the seed does not wait for it to become ready (it is meant to fail or stay Pending). */
export const WAIT_ANNOTATION = 'kube-cluster.test/wait';
/** kwok manages exactly the nodes carrying this annotation (its --manage-nodes-with-annotation-selector). */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';
export const FIELD_MANAGER = 'kube-cluster-seed';
export const KUBERNETES_VERSION = 'v1.36.3';

export interface NodeSpec {
  name: string;
  /** Default amd64. */
  arch?: 'amd64' | 'arm64';
  /** Default linux. */
  os?: 'linux' | 'windows';
  /** Default m5.xlarge (linux/amd64), m6g.xlarge (arm64), m5.2xlarge (windows). */
  instanceType?: string;
  /** Default us-west-2a/b/c by node position. */
  zone?: string;
  labels?: Record<string, string>;
  taints?: k8s.V1Taint[];
  cpu?: string;
  memory?: string;
  pods?: number;
}

export interface KubeSeed {
  name: string;
  /** Nodes to add. A cluster started with a seed that has none gets DEFAULT_NODES. */
  nodes?: NodeSpec[];
  /** Manifests, applied with server-side apply in dependency order (namespaces first, workloads last). */
  objects?: k8s.KubernetesObject[];
  /** How long to wait for the seed's workloads; default 3 minutes. */
  timeoutMs?: number;
}

export interface SeedReport {
  name: string;
  nodes: number;
  objects: number;
  /** Pods in the whole cluster once the seed settled, and how many of them are Running. */
  pods: number;
  podsRunning: number;
  /** From the first request to the last workload being ready. */
  ms: number;
}

export const DEFAULT_NODES: NodeSpec[] = [
  { name: 'sandbox-amd64-1' },
  { name: 'sandbox-amd64-2' },
  { name: 'sandbox-amd64-3' },
];

const REGION = 'us-west-2';
const ZONES = ['us-west-2a', 'us-west-2b', 'us-west-2c'];

/** A Node as a kubelet on an EC2-like machine would register it; kwok then keeps it Ready. */
export function nodeManifest(spec: NodeSpec, index: number): k8s.V1Node {
  const arch = spec.arch ?? 'amd64';
  const os = spec.os ?? 'linux';
  const windows = os === 'windows';
  const instanceType = spec.instanceType ?? (windows ? 'm5.2xlarge' : arch === 'arm64' ? 'm6g.xlarge' : 'm5.xlarge');
  const zone = spec.zone ?? ZONES[index % ZONES.length];
  // /24 pod ranges and node addresses derived from the position, so kwok hands out distinct pod IPs per node.
  const podCidr = `10.${244 + Math.floor(index / 256)}.${index % 256}.0/24`;
  const internalIp = `10.0.${Math.floor(index / 250)}.${(index % 250) + 4}`;
  const cpu = spec.cpu ?? (windows ? '8' : '4');
  const memory = spec.memory ?? (windows ? '32Gi' : '16Gi');
  const pods = String(spec.pods ?? (windows ? 110 : 58));
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: spec.name,
      annotations: { [KWOK_NODE_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/os': os,
        'kubernetes.io/arch': arch,
        'kubernetes.io/hostname': spec.name,
        'beta.kubernetes.io/os': os,
        'beta.kubernetes.io/arch': arch,
        'node.kubernetes.io/instance-type': instanceType,
        'beta.kubernetes.io/instance-type': instanceType,
        'topology.kubernetes.io/region': REGION,
        'topology.kubernetes.io/zone': zone,
        ...(windows ? { 'node.kubernetes.io/windows-build': '10.0.20348' } : {}),
        ...spec.labels,
      },
    },
    spec: { podCIDR: podCidr, podCIDRs: [podCidr], providerID: `kwok://${REGION}/${zone}/${spec.name}`, taints: spec.taints },
    // Nodes keep the status they are created with; kwok's node-initialize stage only adds conditions.
    status: {
      addresses: [{ type: 'InternalIP', address: internalIp }, { type: 'Hostname', address: spec.name }],
      capacity: { cpu, memory, pods, 'ephemeral-storage': '100Gi' },
      allocatable: { cpu, memory, pods, 'ephemeral-storage': '95Gi' },
      nodeInfo: {
        architecture: arch,
        operatingSystem: os,
        osImage: windows ? 'Windows Server 2022 Datacenter' : 'Amazon Linux 2023.8.20250915',
        kernelVersion: windows ? '10.0.20348.2849' : `6.1.150-174.273.amzn2023.${arch === 'arm64' ? 'aarch64' : 'x86_64'}`,
        containerRuntimeVersion: 'containerd://2.1.4',
        kubeletVersion: KUBERNETES_VERSION,
        kubeProxyVersion: '',
        machineID: '',
        systemUUID: '',
        bootID: '',
      },
    },
  };
}

/** Reads a seed file: YAML or JSON manifests; `kind: Node` documents become simulated nodes. */
export function readSeedFile(file: string): KubeSeed {
  const text = fs.readFileSync(file, 'utf8');
  const docs = (k8s.loadAllYaml(text) as unknown[]).filter((d): d is k8s.KubernetesObject => typeof d === 'object' && d !== null);
  const objects: k8s.KubernetesObject[] = [];
  const nodes: NodeSpec[] = [];
  for (const doc of docs) {
    if (doc.kind === 'List' && Array.isArray((doc as { items?: unknown }).items)) {
      objects.push(...((doc as { items: k8s.KubernetesObject[] }).items));
    } else if (doc.kind === 'Node') {
      nodes.push(nodeSpecFromManifest(doc as k8s.V1Node, file));
    } else {
      objects.push(doc);
    }
  }
  for (const obj of objects) {
    if (!obj.apiVersion || !obj.kind || !obj.metadata?.name) {
      throw new Error(`seed ${file}: every document needs apiVersion, kind and metadata.name (found ${JSON.stringify(obj).slice(0, 120)})`);
    }
  }
  return { name: path.basename(file), nodes, objects };
}

function nodeSpecFromManifest(node: k8s.V1Node, file: string): NodeSpec {
  const name = node.metadata?.name;
  if (!name) throw new Error(`seed ${file}: a Node has no metadata.name`);
  const labels = node.metadata?.labels ?? {};
  const arch = labels['kubernetes.io/arch'];
  const os = labels['kubernetes.io/os'];
  if (arch !== undefined && arch !== 'amd64' && arch !== 'arm64') throw new Error(`seed ${file}: node ${name}: kubernetes.io/arch must be amd64 or arm64`);
  if (os !== undefined && os !== 'linux' && os !== 'windows') throw new Error(`seed ${file}: node ${name}: kubernetes.io/os must be linux or windows`);
  return {
    name, arch, os, labels,
    instanceType: labels['node.kubernetes.io/instance-type'],
    zone: labels['topology.kubernetes.io/zone'],
    taints: node.spec?.taints,
    cpu: node.status?.capacity?.cpu,
    memory: node.status?.capacity?.memory,
    pods: node.status?.capacity?.pods ? Number(node.status.capacity.pods) : undefined,
  };
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i], i);
    }
  });
  await Promise.all(workers);
  return results;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function statusCode(err: unknown): number | undefined {
  return err instanceof k8s.ApiException ? err.code : undefined;
}

// Lower tiers are applied (and finished) before higher ones: a namespace before what lives in it, RBAC and
// service accounts before the pods that use them.
const TIERS: Record<string, number> = {
  Namespace: 0, CustomResourceDefinition: 0, PriorityClass: 0, StorageClass: 0,
  ServiceAccount: 1, ClusterRole: 1, Role: 1, ConfigMap: 1, Secret: 1, LimitRange: 1, ResourceQuota: 1,
  ClusterRoleBinding: 2, RoleBinding: 2, Service: 2, PersistentVolumeClaim: 2, PodDisruptionBudget: 2, NetworkPolicy: 2,
};

export interface ApplyOptions {
  log?: (line: string) => void;
  /** Requests in flight at once; default 16. */
  concurrency?: number;
  /** The first index given to new nodes (pod CIDR and address); default: the number of existing nodes. */
  nodeIndexBase?: number;
}

/** Creates the seed's nodes, applies its objects and waits until its workloads are ready. */
export async function applySeed(kc: k8s.KubeConfig, seed: KubeSeed, options: ApplyOptions = {}): Promise<SeedReport> {
  const log = options.log ?? (() => undefined);
  const concurrency = options.concurrency ?? 16;
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  const started = Date.now();
  const deadline = started + (seed.timeoutMs ?? 180_000);
  const nodes = seed.nodes ?? [];

  if (nodes.length > 0) {
    const base = options.nodeIndexBase ?? (await core.listNode()).items.length;
    await mapLimit(nodes, concurrency, async (spec, i) => {
      try {
        await core.createNode({ body: nodeManifest(spec, base + i) });
      } catch (err) {
        if (statusCode(err) !== 409) throw err;
      }
    });
    await waitForNodesReady(kc, nodes.map((n) => n.name), deadline, log);
  }

  const items = seed.objects ?? [];
  const tiers = new Map<number, k8s.KubernetesObject[]>();
  for (const obj of items) {
    const tier = TIERS[obj.kind ?? ''] ?? 3;
    const list = tiers.get(tier) ?? [];
    list.push(obj);
    tiers.set(tier, list);
  }
  for (const tier of [...tiers.keys()].sort((a, b) => a - b)) {
    await mapLimit(tiers.get(tier) ?? [], concurrency, async (obj) => {
      try {
        await objects.patch(obj, undefined, undefined, FIELD_MANAGER, true, k8s.PatchStrategy.ServerSideApply);
      } catch (err) {
        throw new Error(`seed ${seed.name}: applying ${obj.kind} ${obj.metadata?.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata?.name} failed: ${describeError(err)}`, { cause: err });
      }
    });
  }
  if (items.length > 0) log(`seed ${seed.name}: applied ${items.length} objects and ${nodes.length} nodes in ${Date.now() - started} ms; waiting for workloads`);

  const counts = await waitForWorkloads(kc, deadline, (line) => log(`seed ${seed.name}: ${line}`));
  return { name: seed.name, nodes: nodes.length, objects: items.length, pods: counts.pods, podsRunning: counts.running, ms: Date.now() - started };
}

export function describeError(err: unknown): string {
  if (err instanceof k8s.ApiException) {
    const body = err.body as unknown;
    const message = typeof body === 'string' ? safeJson(body)?.message ?? body : (body as { message?: string } | undefined)?.message;
    return `HTTP ${err.code}: ${message ?? err.message}`;
  }
  return err instanceof Error ? err.message : String(err);
}

function safeJson(text: string): { message?: string } | undefined {
  try {
    return JSON.parse(text) as { message?: string };
  } catch {
    return undefined;
  }
}

/** Waits until the named nodes are Ready and no longer carry the not-ready taint, so pods can land on them. */
export async function waitForNodesReady(kc: k8s.KubeConfig, names: string[], deadline: number, log: (line: string) => void): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const wanted = new Set(names);
  let lastLog = Date.now();
  for (;;) {
    const nodes = (await core.listNode()).items.filter((n) => wanted.has(n.metadata?.name ?? ''));
    const waiting = names.length - nodes.filter(schedulable).length;
    if (waiting === 0) return;
    if (Date.now() > deadline) {
      const example = names.find((name) => !nodes.some((n) => n.metadata?.name === name && schedulable(n)));
      throw new Error(`${waiting} of ${names.length} nodes did not become Ready (e.g. ${example}); is kwok running? See its log.`);
    }
    if (Date.now() - lastLog > 5000) {
      lastLog = Date.now();
      log(`${names.length - waiting}/${names.length} nodes Ready`);
    }
    await sleep(250);
  }
}

function schedulable(n: k8s.V1Node): boolean {
  const ready = n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  const tainted = (n.spec?.taints ?? []).some((t) => t.key === 'node.kubernetes.io/not-ready' || t.key === 'node.kubernetes.io/unreachable');
  return ready && !tainted;
}

interface PodCounts { pods: number; running: number }

/** Lists every pod in pages (the large seed has thousands) and counts them by phase. */
export async function countPods(kc: k8s.KubeConfig): Promise<PodCounts> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  let cont: string | undefined;
  const counts = { pods: 0, running: 0 };
  do {
    const page = await core.listPodForAllNamespaces({ limit: 1000, _continue: cont });
    counts.pods += page.items.length;
    counts.running += page.items.filter((p) => p.status?.phase === 'Running').length;
    cont = page.metadata?._continue || undefined;
  } while (cont);
  return counts;
}

/**
 * Waits until every Deployment, StatefulSet, DaemonSet and Job in the cluster has caught up (controllers observed
 * the latest generation, all replicas ready, Jobs complete or running) and no bare pod is left Pending. Workloads
 * annotated `kube-cluster.test/wait: "false"` and pods asking for a simulated failure are skipped.
 */
export async function waitForWorkloads(kc: k8s.KubeConfig, deadline: number, log: (line: string) => void): Promise<PodCounts> {
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const batch = kc.makeApiClient(k8s.BatchV1Api);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  let lastLog = Date.now();
  for (;;) {
    const [deployments, statefulSets, daemonSets, jobs] = await Promise.all([
      apps.listDeploymentForAllNamespaces(), apps.listStatefulSetForAllNamespaces(), apps.listDaemonSetForAllNamespaces(),
      batch.listJobForAllNamespaces(),
    ]);
    const waiting: string[] = [];
    // Progress from the workloads' own counters: listing thousands of pods on every poll would slow the load.
    let desired = 0;
    let ready = 0;
    const tally = (want: number, have: number) => { desired += want; ready += Math.min(want, have); };
    const skip = (m: k8s.V1ObjectMeta | undefined) => m?.annotations?.[WAIT_ANNOTATION] === 'false';
    const caughtUp = (m: k8s.V1ObjectMeta | undefined, observed: number | undefined) => (observed ?? 0) >= (m?.generation ?? 1);
    const name = (kind: string, m: k8s.V1ObjectMeta | undefined) => `${kind} ${m?.namespace}/${m?.name}`;
    for (const d of deployments.items) {
      if (skip(d.metadata)) continue;
      const want = d.spec?.replicas ?? 1;
      tally(want, d.status?.readyReplicas ?? 0);
      if (!caughtUp(d.metadata, d.status?.observedGeneration) || (d.status?.readyReplicas ?? 0) < want || (d.status?.updatedReplicas ?? 0) < want) waiting.push(name('Deployment', d.metadata));
    }
    for (const s of statefulSets.items) {
      if (skip(s.metadata)) continue;
      tally(s.spec?.replicas ?? 1, s.status?.readyReplicas ?? 0);
      if (!caughtUp(s.metadata, s.status?.observedGeneration) || (s.status?.readyReplicas ?? 0) < (s.spec?.replicas ?? 1)) waiting.push(name('StatefulSet', s.metadata));
    }
    for (const d of daemonSets.items) {
      if (skip(d.metadata)) continue;
      tally(d.status?.desiredNumberScheduled ?? 0, d.status?.numberReady ?? 0);
      if (!caughtUp(d.metadata, d.status?.observedGeneration) || (d.status?.numberReady ?? 0) < (d.status?.desiredNumberScheduled ?? 0)) waiting.push(name('DaemonSet', d.metadata));
    }
    for (const j of jobs.items) {
      if (skip(j.metadata) || j.spec?.suspend) continue;
      const done = (j.status?.conditions ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
      const running = (j.status?.active ?? 0) > 0 && (j.status?.ready ?? 0) >= (j.status?.active ?? 0);
      if (!done && !running) waiting.push(name('Job', j.metadata));
    }
    if (waiting.length === 0) {
      // Bare pods last: while controllers are still creating pods, this list would hold thousands.
      const pending = await core.listPodForAllNamespaces({ fieldSelector: 'status.phase=Pending' });
      for (const p of pending.items) {
        if (p.metadata?.annotations?.[SIMULATE_ANNOTATION] || skip(p.metadata)) continue;
        if ((p.metadata?.ownerReferences ?? []).some((o) => o.controller)) continue; // counted through its workload
        waiting.push(name('Pod', p.metadata));
      }
    }
    if (waiting.length === 0) return countPods(kc);
    if (Date.now() > deadline) {
      throw new Error(`workloads not ready in time: ${waiting.slice(0, 8).join(', ')}${waiting.length > 8 ? ` and ${waiting.length - 8} more` : ''}`);
    }
    if (Date.now() - lastLog > 5000) {
      lastLog = Date.now();
      log(`${ready}/${desired} replicas ready; waiting for ${waiting.length} workloads (e.g. ${waiting[0]})`);
    }
    await sleep(500);
  }
}

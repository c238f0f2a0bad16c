// Pre-flight checks on the target cluster before the EKS Connector manifest is applied (docs/connector-reference.md#nodes, #failure-modes):
// API server reachable, admin rights (including RBAC escalation prevention for the impersonation role), a Ready
// linux/amd64 node, no foreign eks-connector namespace, and a Pod Security level that admits the connector pods.
import { setMaxListeners } from 'node:events';
import type * as k8s from '@kubernetes/client-node';
import { isCancellation } from '../util/abort';
import { shellCommand } from '../util/shellQuote';
import { CONNECTOR_NAMESPACE, MANAGED_LABELS } from './names';
import { DEFAULT_SSM_AGENT_IMAGE } from './images';
import { CONTAINER } from './manifest';
import { KubeOperationError, type DescribedKubeError } from '../kube/errors';
import {
  describeAccess, describeRef, rulesGrant, type AccessReview, type AccessRules, type KubeCluster, type ObjectRef,
  type ResourceAccessReview,
} from '../kube/kubeCluster';

/** The label this extension puts on everything it creates; a namespace without it is someone else's. */
// One definition of the connector's namespace and ownership label, shared with the manifest renderer.
export { CONNECTOR_NAMESPACE } from './names';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = MANAGED_LABELS[MANAGED_BY_LABEL];
export const POD_SECURITY_ENFORCE_LABEL = 'pod-security.kubernetes.io/enforce';

export type PreflightCheckId = 'apiServer' | 'adminRights' | 'nodes' | 'namespace' | 'podSecurity';

export interface PreflightCheck {
  id: PreflightCheckId;
  title: string;
  status: 'pass' | 'fail' | 'warn';
  reason?: string;
  fix?: string;
  /** One line per item the check looked at (missing permissions, nodes found). */
  details?: string[];
}

/** An object the plan will create. Roles and bindings may carry their rules/roleRef; a StatefulSet its spec. */
export interface PlanObject extends ObjectRef {
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  rules?: k8s.V1PolicyRule[];
  roleRef?: k8s.V1RoleRef;
  spec?: unknown;
}

export interface PreflightPlan {
  objects: PlanObject[];
  /** Kubernetes user names (canonical IAM ARNs) the connector will be allowed to impersonate. */
  impersonateUsers: string[];
  /** Whether the StatefulSet will carry nodeSelector kubernetes.io/os=linux, kubernetes.io/arch=amd64. */
  nodeSelector: boolean;
}

export interface PreflightOptions {
  signal?: AbortSignal;
}

const TITLES: Record<PreflightCheckId, string> = {
  apiServer: 'API server reachable',
  adminRights: 'Permission to install the connector',
  nodes: 'A Ready Linux x86-64 (amd64) node',
  namespace: 'No other EKS Connector installation',
  podSecurity: 'Pod Security admits the connector pods',
};

const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** Resources of the kinds a connector manifest holds, so the common case needs no discovery request. */
const KNOWN_KINDS: Record<string, { group: string; resource: string; namespaced: boolean }> = {
  'v1/Namespace': { group: '', resource: 'namespaces', namespaced: false },
  'v1/Secret': { group: '', resource: 'secrets', namespaced: true },
  'v1/ServiceAccount': { group: '', resource: 'serviceaccounts', namespaced: true },
  'v1/ConfigMap': { group: '', resource: 'configmaps', namespaced: true },
  'v1/Service': { group: '', resource: 'services', namespaced: true },
  [`${RBAC_GROUP}/v1/Role`]: { group: RBAC_GROUP, resource: 'roles', namespaced: true },
  [`${RBAC_GROUP}/v1/RoleBinding`]: { group: RBAC_GROUP, resource: 'rolebindings', namespaced: true },
  [`${RBAC_GROUP}/v1/ClusterRole`]: { group: RBAC_GROUP, resource: 'clusterroles', namespaced: false },
  [`${RBAC_GROUP}/v1/ClusterRoleBinding`]: { group: RBAC_GROUP, resource: 'clusterrolebindings', namespaced: false },
  'apps/v1/StatefulSet': { group: 'apps', resource: 'statefulsets', namespaced: true },
  'apps/v1/Deployment': { group: 'apps', resource: 'deployments', namespaced: true },
  'apps/v1/DaemonSet': { group: 'apps', resource: 'daemonsets', namespaced: true },
};

/** The connector's tolerations in the static manifest (docs/connector-reference.md#manifest), used when the plan's StatefulSet has none. */
const CONNECTOR_TOLERATIONS: k8s.V1Toleration[] = [
  { key: 'node-role.kubernetes.io/master', effect: 'NoSchedule' },
  { key: 'CriticalAddonsOnly', operator: 'Exists' },
];

/** The connector containers' security settings (docs/connector-reference.md#containers), for the Pod Security dry run when the plan has no StatefulSet spec. */
const CONNECTOR_POD_SPEC: k8s.V1PodSpec = {
  containers: [{
    name: CONTAINER.agent, image: DEFAULT_SSM_AGENT_IMAGE,
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['all'], add: ['DAC_OVERRIDE'] } },
  }],
};

export async function clusterPreflight(cluster: KubeCluster, plan: PreflightPlan, options: PreflightOptions = {}): Promise<PreflightCheck[]> {
  // Every check starts at once rather than after the version: when the API server cannot be used, the others are
  // stopped and reported as not checked.
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  setMaxListeners(64, signal); // each request in flight listens to it, and the checks run many at once
  // First, so that its request is the one that runs a credential plugin (the others wait for it).
  const apiServerChecking = checkApiServer(cluster, signal);
  const namespaceName = targetNamespace(plan);
  // One read of the namespace serves the ownership, Pod Security and admin rights checks.
  const namespace = readNamespace(cluster, namespaceName, signal);
  const others = Promise.all([
    guard('adminRights', () => checkAdminRights(cluster, plan, namespace, signal)),
    guard('nodes', () => checkNodes(cluster, plan, signal)),
    guard('namespace', async () => checkNamespace(namespaceName, await namespace, cluster, signal)),
    guard('podSecurity', () => checkPodSecurity(cluster, plan, namespaceName, namespace, signal)),
  ]);
  others.catch(() => undefined); // not awaited when the API server check fails or is cancelled
  const apiServer = await apiServerChecking;
  if (apiServer.status === 'fail') {
    stop.abort();
    const skipped = (['adminRights', 'nodes', 'namespace', 'podSecurity'] as const).map((id): PreflightCheck => ({
      id, title: TITLES[id], status: 'warn', reason: 'Not checked: the API server could not be used.', fix: apiServer.fix,
    }));
    return [apiServer, ...skipped];
  }
  return [apiServer, ...await others];
}

/** The permission check alone (admin rights to install the plan), for a context chosen before the rest is known. */
export async function installRightsCheck(cluster: KubeCluster, plan: PreflightPlan, options: PreflightOptions = {}): Promise<PreflightCheck> {
  const signal = options.signal ?? new AbortController().signal;
  return guard('adminRights', () => checkAdminRights(cluster, plan, readNamespace(cluster, targetNamespace(plan), signal), signal));
}

/** A namespace read as an outcome, so several checks can share it (or leave it unused) without an unhandled rejection. */
function readNamespace(cluster: KubeCluster, name: string, signal: AbortSignal): Promise<NamespaceRead> {
  return cluster.readNamespace(name, signal).then((ns) => ({ ns }), (error: unknown) => ({ error }));
}

/** The namespace the plan installs into: its Namespace object, else the first namespaced object's, else eks-connector. */
export function targetNamespace(plan: PreflightPlan): string {
  return plan.objects.find((o) => o.kind === 'Namespace')?.metadata.name
    ?? plan.objects.find((o) => o.metadata.namespace)?.metadata.namespace
    ?? CONNECTOR_NAMESPACE;
}

/** Turns an unexpected failure of one check into a failed check rather than a failed pre-flight. */
async function guard(id: PreflightCheckId, run: () => Promise<PreflightCheck>): Promise<PreflightCheck> {
  try {
    return await run();
  } catch (err) {
    if (isCancellation(err)) throw err;
    const d = described(err, `Checking "${TITLES[id]}"`);
    return { id, title: TITLES[id], status: 'fail', reason: `${d.summary}: ${d.reason}`, fix: d.fix };
  }
}

function described(err: unknown, activity: string): DescribedKubeError {
  if (err instanceof KubeOperationError) return err.described;
  return { kind: 'unknown', summary: `${activity} failed`, reason: err instanceof Error ? err.message : String(err), fix: 'Retry; if it keeps failing, open the log for details.', retryable: true };
}

// --- (e) API server --------------------------------------------------------------------------------------------

async function checkApiServer(cluster: KubeCluster, signal: AbortSignal | undefined): Promise<PreflightCheck> {
  const base = { id: 'apiServer' as const, title: TITLES.apiServer };
  try {
    const version = await cluster.version(signal);
    return { ...base, status: 'pass', reason: `Kubernetes ${version.gitVersion} at ${cluster.serverUrl} (context "${cluster.contextName}").` };
  } catch (err) {
    if (isCancellation(err)) throw err;
    const d = described(err, 'Reading the Kubernetes version');
    return { ...base, status: 'fail', reason: d.reason, fix: d.fix };
  }
}

// --- (a) admin rights ------------------------------------------------------------------------------------------

/** The Role or ClusterRole of the plan that grants a permission (RBAC checks escalate/bind against it). */
interface RoleHolder {
  roleKind: 'roles' | 'clusterroles';
  name?: string;
  namespace?: string;
}

interface Requirement {
  review: AccessReview;
  /** Set for grants inside RBAC objects the user creates: needed only when escalate/bind is not held. */
  holder?: RoleHolder;
}

function reviewKey(review: AccessReview): string {
  return 'nonResourceURL' in review
    ? `${review.verb} ${review.nonResourceURL}`
    : [review.verb, review.group, review.resource, review.subresource ?? '', review.namespace ?? '', review.name ?? ''].join('|');
}

/** Every permission a Role/ClusterRole rule grants, as access reviews (namespaced for a Role). */
function rulesToReviews(rules: k8s.V1PolicyRule[], namespace: string | undefined): AccessReview[] {
  const out: AccessReview[] = [];
  for (const rule of rules) {
    for (const verb of rule.verbs) {
      for (const url of rule.nonResourceURLs ?? []) out.push({ verb, nonResourceURL: url });
      for (const group of rule.apiGroups ?? []) {
        for (const full of rule.resources ?? []) {
          const [resource, subresource] = full.split('/', 2);
          const names = rule.resourceNames?.length ? rule.resourceNames : [undefined];
          for (const name of names) {
            out.push({ verb, group, resource, ...(subresource ? { subresource } : {}), ...(namespace ? { namespace } : {}), ...(name ? { name } : {}) });
          }
        }
      }
    }
  }
  return out;
}

async function checkAdminRights(cluster: KubeCluster, plan: PreflightPlan, namespace: Promise<NamespaceRead>, signal: AbortSignal): Promise<PreflightCheck> {
  const base = { id: 'adminRights' as const, title: TITLES.adminRights };
  const requirements = new Map<string, Requirement>();
  const add = (review: AccessReview, holder?: RoleHolder) => {
    const key = reviewKey(review);
    if (!requirements.has(key)) requirements.set(key, { review, ...(holder ? { holder } : {}) });
  };
  const kinds = new Set<string>();
  const bindings: Array<{ roleKind: 'roles' | 'clusterroles'; roleName?: string; namespace?: string }> = [];
  for (const object of plan.objects) {
    const info = KNOWN_KINDS[`${object.apiVersion}/${object.kind}`] ?? await cluster.resourceFor(object.apiVersion, object.kind, signal);
    if (!info) {
      return {
        ...base, status: 'fail', reason: `The cluster does not serve ${object.apiVersion} ${object.kind} (${describeRef(object)}).`,
        fix: 'The cluster is too old or lacks this API: upgrade it, or use a manifest for its version.',
      };
    }
    kinds.add(object.kind);
    const namespace = info.namespaced ? object.metadata.namespace ?? targetNamespace(plan) : undefined;
    // Server-side apply is a PATCH, which also needs create when the object does not exist yet.
    add({ verb: 'create', group: info.group, resource: info.resource, ...(namespace ? { namespace } : {}) });
    add({ verb: 'patch', group: info.group, resource: info.resource, name: object.metadata.name, ...(namespace ? { namespace } : {}) });
    if (object.kind === 'Role' || object.kind === 'ClusterRole') {
      const holder: RoleHolder = { roleKind: object.kind === 'Role' ? 'roles' : 'clusterroles', name: object.metadata.name, ...(namespace ? { namespace } : {}) };
      for (const review of rulesToReviews(object.rules ?? [], namespace)) add(review, holder);
    }
    if (object.kind === 'RoleBinding' || object.kind === 'ClusterRoleBinding') {
      bindings.push({
        roleKind: object.roleRef?.kind === 'Role' ? 'roles' : 'clusterroles',
        ...(object.roleRef?.name ? { roleName: object.roleRef.name } : {}), ...(object.kind === 'RoleBinding' && namespace ? { namespace } : {}),
      });
    }
  }
  // RBAC escalation prevention: whoever creates the impersonation ClusterRole must hold impersonate on each user
  // (already added above when the plan carries that ClusterRole's rules).
  for (const user of plan.impersonateUsers) add({ verb: 'impersonate', group: '', resource: 'users', name: user }, { roleKind: 'clusterroles' });

  // The alternative to holding a grant: escalate on the role that carries it, and bind on it for each binding.
  const alternatives = (holder: RoleHolder): ResourceAccessReview[] => {
    const where = holder.roleKind === 'roles' && holder.namespace ? { namespace: holder.namespace } : {};
    const escalate: ResourceAccessReview = { verb: 'escalate', group: RBAC_GROUP, resource: holder.roleKind, ...(holder.name ? { name: holder.name } : {}), ...where };
    const binds = bindings
      .filter((b) => b.roleKind === holder.roleKind && (!holder.name || b.roleName === holder.name))
      .map((b): ResourceAccessReview => ({
        verb: 'bind', group: RBAC_GROUP, resource: b.roleKind, ...(b.roleName ? { name: b.roleName } : {}), ...(b.namespace ? { namespace: b.namespace } : {}),
      }));
    return [escalate, ...binds];
  };
  const reqs = [...requirements.values()];
  const who = cluster.whoAmI(signal).then((u) => `User "${u.username}"`, () => `The user of context "${cluster.contextName}"`);
  const namespaces = new Set([targetNamespace(plan)]);
  for (const r of reqs) for (const review of [r.review, ...(r.holder ? alternatives(r.holder) : [])]) if ('namespace' in review && review.namespace) namespaces.add(review.namespace);
  const granted = await rulesGranting(cluster, [...namespaces], targetNamespace(plan), namespace, signal);
  // What the rules do not grant is asked one SelfSubjectAccessReview at a time: it may be denied, or granted by an
  // authorizer that cannot list rules; a grant inside a role may instead be covered by escalate and bind.
  const ask = new Map<string, AccessReview>();
  for (const r of reqs) {
    if (granted(r.review)) continue;
    ask.set(reviewKey(r.review), r.review);
    for (const alt of r.holder ? alternatives(r.holder) : []) if (!granted(alt)) ask.set(reviewKey(alt), alt);
  }
  const decisions = ask.size ? await cluster.canI([...ask.values()], signal) : [];
  const byKey = new Map(decisions.map((d) => [reviewKey(d.review), d]));
  const allowed = (review: AccessReview) => granted(review) || byKey.get(reviewKey(review))?.allowed === true;

  const missing: string[] = [];
  for (const r of reqs) {
    if (allowed(r.review)) continue;
    if (!r.holder) {
      missing.push(describeAccess(r.review));
      continue;
    }
    const lacking = alternatives(r.holder).filter((alt) => !allowed(alt));
    if (lacking.length === 0) continue; // may escalate and bind: the grant need not be held
    missing.push(`${describeAccess(r.review)} (needed to grant it to the connector, unless you may ${joinVerbs(lacking)})`);
  }

  if (missing.length === 0) {
    const kindList = [...kinds].join(', ');
    const impersonation = plan.impersonateUsers.length ? ` and grant impersonation of ${plan.impersonateUsers.length} user${plan.impersonateUsers.length === 1 ? '' : 's'}` : '';
    return { ...base, status: 'pass', reason: `${await who} may create and update ${kindList}${impersonation}.` };
  }
  return {
    ...base, status: 'fail',
    reason: `${await who} lacks ${missing.length} permission${missing.length === 1 ? '' : 's'} needed to install the connector: ${missing.join('; ')}.`,
    fix: 'Connect with a context whose user is a cluster administrator (cluster-admin), or ask an administrator to grant these permissions or to apply the manifest for you.',
    details: missing,
  };
}

/**
 * Which reviews the user's rules grant, from one SelfSubjectRulesReview per namespace instead of one access review
 * per permission. Rules listed for a namespace include its RoleBindings, which grant nothing cluster-wide; so they
 * decide cluster-wide reviews only for the target namespace while it does not exist: no RoleBinding can be in it.
 * Only complete rules are used: when an authorizer (a webhook, say) cannot list its own, it might also deny.
 */
async function rulesGranting(cluster: KubeCluster, namespaces: string[], target: string, targetRead: Promise<NamespaceRead>, signal: AbortSignal): Promise<(review: AccessReview) => boolean> {
  const [lists, read] = await Promise.all([
    Promise.all(namespaces.map((ns) => cluster.rulesFor(ns, signal).then((rules) => (rules.incomplete ? undefined : rules), (error: unknown) => {
      if (isCancellation(error)) throw error;
      return undefined; // then every review is asked on its own
    }))),
    targetRead,
  ]);
  const byNamespace = new Map<string, AccessRules | undefined>(namespaces.map((ns, i) => [ns, lists[i]]));
  const clusterWide = 'ns' in read && read.ns === undefined ? byNamespace.get(target) : undefined;
  return (review) => {
    const rules = 'nonResourceURL' in review || !review.namespace ? clusterWide : byNamespace.get(review.namespace);
    return rules !== undefined && rulesGrant(rules, review);
  };
}

/** "escalate and bind rbac.authorization.k8s.io/clusterroles \"x\"": reviews on the same object share one phrase. */
function joinVerbs(reviews: ResourceAccessReview[]): string {
  const byTarget = new Map<string, string[]>();
  for (const r of reviews) {
    const target = describeAccess(r).slice(r.verb.length + 1);
    byTarget.set(target, [...(byTarget.get(target) ?? []), r.verb]);
  }
  return [...byTarget].map(([target, verbs]) => `${verbs.join(' and ')} ${target}`).join(' and ');
}

// --- (b) nodes -------------------------------------------------------------------------------------------------

export interface NodeSummary {
  name: string;
  os: string;
  arch: string;
  ready: boolean;
  /** False when cordoned. */
  schedulable: boolean;
  /** NoSchedule/NoExecute taints the connector does not tolerate. */
  untoleratedTaints: string[];
}

export function summarizeNode(node: k8s.V1Node, tolerations: k8s.V1Toleration[] = CONNECTOR_TOLERATIONS): NodeSummary {
  const labels = node.metadata?.labels ?? {};
  const os = labels['kubernetes.io/os'] ?? labels['beta.kubernetes.io/os'] ?? node.status?.nodeInfo?.operatingSystem ?? 'unknown';
  const arch = labels['kubernetes.io/arch'] ?? labels['beta.kubernetes.io/arch'] ?? node.status?.nodeInfo?.architecture ?? 'unknown';
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  const untoleratedTaints = (node.spec?.taints ?? [])
    .filter((t) => t.effect !== 'PreferNoSchedule')
    // Cordoning shows as spec.unschedulable (and its taint); reported once, as "cordoned".
    .filter((t) => t.key !== 'node.kubernetes.io/unschedulable')
    .filter((t) => !tolerations.some((tol) => tolerates(tol, t)))
    .map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`);
  return { name: node.metadata?.name ?? '?', os, arch, ready, schedulable: node.spec?.unschedulable !== true, untoleratedTaints };
}

function tolerates(toleration: k8s.V1Toleration, taint: k8s.V1Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (!toleration.key) return toleration.operator === 'Exists';
  if (toleration.key !== taint.key) return false;
  return toleration.operator === 'Exists' || (toleration.value ?? '') === (taint.value ?? '');
}

function nodeLine(n: NodeSummary): string {
  const state = [n.ready ? 'Ready' : 'NotReady', ...(n.schedulable ? [] : ['cordoned']), ...n.untoleratedTaints.map((t) => `taint ${t}`)];
  return `${n.name} (${n.os}/${n.arch}, ${state.join(', ')})`;
}

function planTolerations(plan: PreflightPlan): k8s.V1Toleration[] {
  const sts = plan.objects.find((o) => o.kind === 'StatefulSet');
  const spec = sts?.spec as { template?: { spec?: k8s.V1PodSpec } } | undefined;
  return spec?.template?.spec?.tolerations ?? CONNECTOR_TOLERATIONS;
}

async function checkNodes(cluster: KubeCluster, plan: PreflightPlan, signal: AbortSignal | undefined): Promise<PreflightCheck> {
  const base = { id: 'nodes' as const, title: TITLES.nodes };
  let nodes: k8s.V1Node[];
  try {
    nodes = await cluster.listNodes(signal);
  } catch (err) {
    if (isCancellation(err)) throw err;
    const d = described(err, 'Listing the nodes');
    return { ...base, status: 'warn', reason: `The nodes could not be listed, so their OS and architecture are unknown: ${d.reason}`, fix: d.kind === 'forbidden' ? 'Connect with a context that may list nodes (cluster-admin) to check them.' : d.fix };
  }
  const summaries = nodes.map((n) => summarizeNode(n, planTolerations(plan))).sort((a, b) => a.name.localeCompare(b.name));
  const details = summaries.map(nodeLine);
  if (summaries.length === 0) {
    return { ...base, status: 'fail', reason: 'The cluster has no nodes, so the connector pods cannot run.', fix: 'Add a Linux x86-64 (amd64) worker node, then check again.' };
  }
  const usable = (n: NodeSummary) => n.ready && n.schedulable && n.untoleratedTaints.length === 0;
  const eligible = summaries.filter((n) => usable(n) && n.os === 'linux' && n.arch === 'amd64');
  const others = summaries.filter((n) => usable(n) && !(n.os === 'linux' && n.arch === 'amd64'));
  const linuxOthers = others.filter((n) => n.os === 'linux');
  const selector = 'nodeSelector kubernetes.io/os=linux, kubernetes.io/arch=amd64';
  if (eligible.length > 0) {
    const found = `${eligible.length} of ${summaries.length} node${summaries.length === 1 ? '' : 's'} can run the connector: ${eligible.map((n) => n.name).join(', ')}.`;
    if (!plan.nodeSelector && others.length > 0) {
      return {
        ...base, status: 'warn', details,
        reason: `${found} Without a nodeSelector the connector pods may also land on ${others.map(nodeLine).join(', ')}, where they are not supported (Linux x86-64 only).`,
        fix: `Turn on the ${selector}.`,
      };
    }
    const notUsed = summaries.filter((n) => !eligible.includes(n));
    return { ...base, status: 'pass', details, reason: `${found}${notUsed.length ? ` Not used: ${notUsed.map(nodeLine).join(', ')}.` : ''}` };
  }
  if (!plan.nodeSelector && linuxOthers.length > 0) {
    return {
      ...base, status: 'warn', details,
      reason: `No Ready linux/amd64 node. Without a nodeSelector the connector pods will run on ${linuxOthers.map(nodeLine).join(', ')}; AWS documents the connector for Linux x86-64 nodes only.`,
      fix: 'Add a Linux x86-64 (amd64) node for a supported installation, or continue knowing the connector may not start there.',
    };
  }
  return {
    ...base, status: 'fail', details,
    reason: `No Ready, schedulable linux/amd64 node${plan.nodeSelector ? ` for the ${selector}` : ''}. Nodes found: ${details.join(', ')}.`,
    fix: `Add a Linux x86-64 (amd64) worker node (or make one Ready / uncordon it), then check again.${plan.nodeSelector && linuxOthers.length > 0 ? ' Turning the nodeSelector off would let the pods try the other Linux nodes, which AWS does not support.' : ''}`,
  };
}

// --- (c) namespace ownership -----------------------------------------------------------------------------------

type NamespaceRead = { ns: k8s.V1Namespace | undefined } | { error: unknown };

async function checkNamespace(name: string, read: NamespaceRead, cluster: KubeCluster, signal: AbortSignal | undefined): Promise<PreflightCheck> {
  const base = { id: 'namespace' as const, title: TITLES.namespace };
  if ('error' in read) {
    if (isCancellation(read.error)) throw read.error;
    const d = described(read.error, `Reading namespace ${name}`);
    return { ...base, status: d.kind === 'forbidden' ? 'warn' : 'fail', reason: `Namespace ${name} could not be read: ${d.reason}`, fix: d.fix };
  }
  const ns = read.ns;
  if (!ns) return { ...base, status: 'pass', reason: `Namespace ${name} does not exist yet; it will be created.` };
  if (ns.metadata?.deletionTimestamp) {
    return {
      ...base, status: 'fail', reason: `Namespace ${name} is being deleted (Terminating).`,
      fix: `Wait until it is gone (kubectl get namespace ${name}), then check again.`,
    };
  }
  const labels = ns.metadata?.labels ?? {};
  if (labels[MANAGED_BY_LABEL] === MANAGED_BY_VALUE) {
    return { ...base, status: 'pass', reason: `Namespace ${name} was created by this extension: connecting again resumes or repairs that installation.` };
  }
  const annotations = ns.metadata?.annotations ?? {};
  const helmRelease = annotations['meta.helm.sh/release-name'];
  const connector = await cluster.exists({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'eks-connector', namespace: name } }, signal).catch(() => false);
  const origin = helmRelease || labels[MANAGED_BY_LABEL] === 'Helm'
    ? `It belongs to the Helm release ${helmRelease ? `"${helmRelease}"` : ''} (managed-by: Helm).`.replace('release  (', 'release (')
    : labels[MANAGED_BY_LABEL]
      ? `It is managed by "${labels[MANAGED_BY_LABEL]}".`
      : 'It was probably created from the EKS console\'s manifest or by eksctl.';
  return {
    ...base, status: 'fail',
    reason: `Namespace ${name} already exists and was not created by this extension (no label ${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}). ${origin}${connector ? ` An EKS Connector StatefulSet is installed in it, so this cluster is probably registered already.` : ''}`,
    fix: `If that installation is still in use, this cluster is already connected: don't connect it twice. Otherwise deregister its EKS registration and remove it (${shellCommand(helmRelease ? ['helm', '-n', name, 'uninstall', helmRelease] : ['kubectl', 'delete', 'namespace', name])}, plus its ClusterRoles and ClusterRoleBindings such as eks-connector-service), then check again.`,
  };
}

// --- (d) Pod Security ------------------------------------------------------------------------------------------

async function checkPodSecurity(cluster: KubeCluster, plan: PreflightPlan, name: string, namespace: Promise<NamespaceRead>, signal: AbortSignal): Promise<PreflightCheck> {
  const base = { id: 'podSecurity' as const, title: TITLES.podSecurity };
  const restrictedFix = (where: string) =>
    `Use the baseline level, which allows DAC_OVERRIDE: ${where}. (The connector containers add the DAC_OVERRIDE capability and set neither runAsNonRoot nor a seccomp profile, which restricted forbids.)`;
  const planned = plan.objects.find((o) => o.kind === 'Namespace' && o.metadata.name === name)?.metadata.labels?.[POD_SECURITY_ENFORCE_LABEL];
  // A new namespace without a planned level is probed in `default`, as on a first connect: read `default` and dry-run
  // the pod there beside the namespace read, not after it. Both go unused when the namespace exists.
  const defaultProbe = planned ? undefined : {
    read: readNamespace(cluster, 'default', signal),
    verdict: dryRunConnectorPod(cluster, plan, 'default', signal),
  };
  defaultProbe?.verdict.catch(() => undefined); // rejects only when cancelled, and may go unused
  const read = await namespace;
  const ns = 'ns' in read ? read.ns : undefined;
  const existingLevel = ns?.metadata?.labels?.[POD_SECURITY_ENFORCE_LABEL];
  if (existingLevel === 'restricted') {
    return {
      ...base, status: 'fail', reason: `Namespace ${name} enforces the Pod Security level "restricted" (label ${POD_SECURITY_ENFORCE_LABEL}=restricted), which rejects the connector pods.`,
      fix: restrictedFix(shellCommand(['kubectl', 'label', '--overwrite', 'namespace', name, `${POD_SECURITY_ENFORCE_LABEL}=baseline`])),
    };
  }
  if (existingLevel) return { ...base, status: 'pass', reason: `Namespace ${name} enforces the Pod Security level "${existingLevel}", which admits the connector pods.` };
  if (!ns && planned === 'restricted') {
    return {
      ...base, status: 'fail', reason: `The planned namespace ${name} would enforce the Pod Security level "restricted", which rejects the connector pods.`,
      fix: restrictedFix(`set ${POD_SECURITY_ENFORCE_LABEL}: baseline on the Namespace`),
    };
  }
  if (!ns && planned) return { ...base, status: 'pass', reason: `The namespace ${name} will be created with the Pod Security level "${planned}", which admits the connector pods.` };

  // No label: the cluster-wide default applies. A server-side dry run of a connector pod shows what it is, in the
  // namespace itself if it exists, else in `default` (when that carries no label of its own).
  let probe: Promise<DryRunVerdict> | undefined = ns ? dryRunConnectorPod(cluster, plan, name, signal) : defaultProbe?.verdict;
  if (!ns) {
    const def = await defaultProbe?.read;
    if (def && 'error' in def && isCancellation(def.error)) throw def.error;
    const defaultNs = def && 'ns' in def ? def.ns : undefined;
    if (!defaultNs || defaultNs.metadata?.labels?.[POD_SECURITY_ENFORCE_LABEL]) probe = undefined;
  }
  if (probe) {
    const verdict = await probe;
    if (verdict.rejected) {
      return {
        ...base, status: 'fail',
        reason: `The cluster's default Pod Security level rejects the connector pods${ns ? ` in namespace ${name}` : ''}: ${verdict.rejected}`,
        fix: restrictedFix(ns
          ? shellCommand(['kubectl', 'label', 'namespace', name, `${POD_SECURITY_ENFORCE_LABEL}=baseline`])
          : `create the namespace ${name} with the label ${POD_SECURITY_ENFORCE_LABEL}=baseline (or exempt it in the PodSecurity admission configuration)`),
      };
    }
    if (verdict.admitted) {
      return { ...base, status: 'pass', reason: `${ns ? `Namespace ${name} has` : `The namespace ${name} will have`} no Pod Security label, and a dry run of a connector pod${ns ? '' : ' under the cluster default'} was admitted.` };
    }
    return { ...base, status: 'pass', reason: `No Pod Security label on ${ns ? `namespace ${name}` : 'the planned namespace'}; the cluster default could not be checked (${verdict.error}).` };
  }
  return { ...base, status: 'pass', reason: `No Pod Security label on the planned namespace ${name}; the cluster default could not be checked.` };
}

type DryRunVerdict = { admitted?: true; rejected?: string; error?: string };

async function dryRunConnectorPod(cluster: KubeCluster, plan: PreflightPlan, namespace: string, signal: AbortSignal | undefined): Promise<DryRunVerdict> {
  const sts = plan.objects.find((o) => o.kind === 'StatefulSet');
  const template = (sts?.spec as { template?: { spec?: k8s.V1PodSpec } } | undefined)?.template?.spec;
  // The connector's ServiceAccount does not exist yet, and the ServiceAccount admission plugin would refuse it.
  const spec: k8s.V1PodSpec = { ...(template ?? CONNECTOR_POD_SPEC), automountServiceAccountToken: false };
  delete spec.serviceAccountName;
  delete spec.serviceAccount;
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'eks-connector-preflight', namespace }, spec };
  try {
    await cluster.apply([pod], { fieldManager: MANAGED_BY_VALUE, dryRun: true, classify: false, signal });
    return { admitted: true };
  } catch (err) {
    if (isCancellation(err)) throw err;
    const d = described(err, 'Dry-running a connector pod');
    if (d.kind === 'forbidden' && /PodSecurity/.test(d.reason)) return { rejected: d.reason };
    return { error: d.reason };
  }
}

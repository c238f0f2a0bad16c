// One Kubernetes cluster as seen through one kubeconfig context: server-side apply and delete of manifest objects,
// access reviews, nodes, namespaces, pods and a resilient pod watch. Every call takes an AbortSignal, has a time
// limit, and fails with a KubeOperationError whose `described` says what failed, why and what to do.
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import * as k8s from '@kubernetes/client-node';
import { CancelledError, sleep, throwIfAborted } from '../util/abort';
import {
  KubeOperationError, KubeTimeoutError, describeKubeError, fieldManagerConflicts, httpStatusOf,
  type DescribedKubeError,
} from './errors';

/** The identity of an object: enough to read, apply or delete it. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

/** A manifest object: an ObjectRef with any further fields (spec, data, rules...). */
export type ManifestObject = k8s.KubernetesObject & ObjectRef;

export interface KubeClusterOptions {
  /** Time limit of each request (not of watches); default 30 s. */
  requestTimeoutMs?: number;
}

export type ApplyAction = 'created' | 'updated' | 'unchanged' | 'applied';

export interface FieldConflict {
  /** The field manager that owns the field. */
  manager: string;
  /** The field path, e.g. `.spec.replicas`. */
  field: string;
}

export interface AppliedObject {
  ref: ObjectRef;
  /** `applied` when the object could not be read beforehand (no get permission), so created and updated are not told apart. */
  action: ApplyAction;
  /** The object as the API server stored it. */
  object: k8s.KubernetesObject;
  /** Fields taken over from other managers (only with forceConflicts). */
  takenOver?: FieldConflict[];
}

export interface ApplyResult {
  objects: AppliedObject[];
  created: ObjectRef[];
  /** Objects that existed before this apply (updated or unchanged). */
  alreadyPresent: ObjectRef[];
}

export interface ApplyOptions {
  fieldManager: string;
  signal?: AbortSignal;
  /**
   * Read each object first to tell created / updated / unchanged (default true). False halves the round trips
   * when the caller does not need that distinction; every action is then reported as 'applied'.
   */
  classify?: boolean;
  /** Called after each object, in order, e.g. for progress. */
  onApplied?: (applied: AppliedObject, index: number, total: number) => void;
  /**
   * When another field manager owns a field: false (default) stops with a KubeApplyError listing the conflicts;
   * true applies that object again with force and records the fields taken over.
   */
  forceConflicts?: boolean;
  /** Server-side dry run: validated and admitted, not stored. */
  dryRun?: boolean;
}

/** An apply that stopped at one object; `applied` lists those that went through before it. */
export class KubeApplyError extends KubeOperationError {
  constructor(described: DescribedKubeError, readonly failed: ObjectRef, readonly applied: AppliedObject[], readonly conflicts: FieldConflict[], cause: unknown) {
    super(described, { cause });
    this.name = 'KubeApplyError';
  }
}

export interface DeleteOptions {
  signal?: AbortSignal;
  /** Default Background. Foreground keeps the object until its dependents are gone. */
  propagation?: 'Foreground' | 'Background';
  /** Wait until every deleted object is really gone (finalizers, namespace termination); default false. */
  wait?: boolean;
  /** Limit of the wait; default 120 s. */
  waitTimeoutMs?: number;
}

export interface DeleteResult {
  deleted: ObjectRef[];
  /** Objects that did not exist (or whose API the cluster does not serve). */
  absent: ObjectRef[];
}

export interface ResourceAccessReview {
  verb: string;
  /** API group, '' for the core group. */
  group: string;
  /** Plural resource name, e.g. `clusterrolebindings`. */
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export interface NonResourceAccessReview {
  verb: string;
  /** A non-resource URL such as `/version`. */
  nonResourceURL: string;
}

export type AccessReview = ResourceAccessReview | NonResourceAccessReview;

export interface AccessDecision {
  review: AccessReview;
  allowed: boolean;
  /** The authorizer's reason, when it gave one. */
  reason?: string;
  evaluationError?: string;
}

/** What a SelfSubjectRulesReview lists the user may do in one namespace, cluster-wide grants included. */
export interface AccessRules {
  namespace: string;
  resourceRules: k8s.V1ResourceRule[];
  nonResourceRules: k8s.V1NonResourceRule[];
  /** Some authorizer (a webhook, say) could not list its rules: what the rules do not grant may still be allowed. */
  incomplete: boolean;
}

/**
 * Whether the rules grant the review, matched as RBAC matches a request: `*` or the exact verb, group and resource
 * (for a subresource also `*` followed by it), resourceNames only for a named request, non-resource URLs exactly or
 * by a trailing `*`.
 * The rules must be ones that apply where the review asks: rules listed for a namespace include that namespace's
 * RoleBindings, which grant nothing cluster-wide.
 */
export function rulesGrant(rules: Pick<AccessRules, 'resourceRules' | 'nonResourceRules'>, review: AccessReview): boolean {
  const has = (list: string[] | undefined, value: string) => (list ?? []).some((item) => item === '*' || item === value);
  if ('nonResourceURL' in review) {
    return rules.nonResourceRules.some((rule) => has(rule.verbs, review.verb) && (rule.nonResourceURLs ?? []).some((url) =>
      url === '*' || url === review.nonResourceURL || (url.endsWith('*') && review.nonResourceURL.startsWith(url.slice(0, -1)))));
  }
  const resource = review.subresource ? `${review.resource}/${review.subresource}` : review.resource;
  return rules.resourceRules.some((rule) => has(rule.verbs, review.verb) && has(rule.apiGroups, review.group)
    && (rule.resources ?? []).some((r) => r === '*' || r === resource || (!!review.subresource && r === `*/${review.subresource}`))
    && (!rule.resourceNames?.length || (!!review.name && rule.resourceNames.includes(review.name))));
}

export interface UserIdentity {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export interface PodEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  pod: k8s.V1Pod;
  /** True when the event comes from a re-list after the watch dropped, not from the watch itself. */
  resync: boolean;
}

export interface WatchPodsOptions {
  /** Told about each failed attempt before the watch retries (with backoff). */
  onRetry?: (error: DescribedKubeError, attempt: number) => void;
  /** Server-side watch timeout, after which the watch is renewed; default 300 s. */
  timeoutSeconds?: number;
}

const MIDDLEWARE_PASS = async (ctx: k8s.ResponseContext) => ctx;

/**
 * How long an idle connection is kept for the next request (as long as Node's own global agent keeps one): enough
 * for a burst of requests such as a connect, and well under the idle limits of API servers and of the NATs and load
 * balancers before them, so a kept connection is not found dead when reused, and none lingers.
 */
const IDLE_CONNECTION_MS = 5_000;

/** What makes two agents' connections interchangeable: the same scheme, server trust and client identity. */
function connectionKey(secure: boolean, options: https.AgentOptions): string {
  const hash = createHash('sha256').update(secure ? 'https' : 'http');
  for (const value of [options.ca, options.cert, options.key, options.pfx, options.passphrase, options.rejectUnauthorized, options.servername]) {
    hash.update('\0');
    for (const part of Array.isArray(value) ? value : [value]) {
      if (Buffer.isBuffer(part) || typeof part === 'string') hash.update(part);
      else hash.update(JSON.stringify(part ?? null));
    }
  }
  return hash.digest('hex');
}

/** KubernetesObjectApi with a shared discovery cache and the context's namespace as default. */
class ObjectClient extends k8s.KubernetesObjectApi {
  constructor(configuration: k8s.Configuration, cache: Record<string, k8s.V1APIResourceList>, kc: k8s.KubeConfig) {
    super(configuration);
    this.apiVersionResourceCache = cache;
    this.setDefaultNamespace(kc);
  }

  /** Discovery: the resource serving apiVersion/kind (plural name, namespaced), or undefined. */
  lookup(apiVersion: string, kind: string): Promise<k8s.V1APIResource | undefined> {
    return this.resource(apiVersion, kind);
  }
}

export function refOf(object: ObjectRef): ObjectRef {
  return {
    apiVersion: object.apiVersion, kind: object.kind,
    metadata: { name: object.metadata.name, ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}) },
  };
}

/** "StatefulSet eks-connector/eks-connector", "ClusterRole eks-connector-service". */
export function describeRef(ref: ObjectRef): string {
  return `${ref.kind} ${ref.metadata.namespace ? `${ref.metadata.namespace}/` : ''}${ref.metadata.name}`;
}

/** "create namespaces", "impersonate users \"arn:...\"", "get secrets \"x\" in namespace eks-connector", "get /version". */
export function describeAccess(review: AccessReview): string {
  if ('nonResourceURL' in review) return `${review.verb} ${review.nonResourceURL}`;
  const resource = `${review.group ? `${review.group}/` : ''}${review.resource}${review.subresource ? `/${review.subresource}` : ''}`;
  return `${review.verb} ${resource}${review.name ? ` "${review.name}"` : ''}${review.namespace ? ` in namespace ${review.namespace}` : ''}`;
}

/** Metadata the API server owns; sending it in an apply is refused (managedFields) or pins an old version. */
function applyBody<T extends ManifestObject>(object: T): T {
  const metadata: k8s.V1ObjectMeta = { ...object.metadata };
  delete metadata.managedFields;
  delete metadata.resourceVersion;
  delete metadata.uid;
  delete metadata.creationTimestamp;
  delete metadata.generation;
  delete metadata.selfLink;
  return { ...object, metadata } as T;
}

export class KubeCluster {
  private readonly requestTimeoutMs: number;
  private readonly discoveryCache: Record<string, k8s.V1APIResourceList> = {};
  /** The kept-alive agent requests share, and the key of the TLS settings it was made for. */
  private pooled?: { key: string; agent: http.Agent };
  /** The request being authenticated now, if one is. */
  private authenticating?: Promise<void>;

  constructor(readonly kubeConfig: k8s.KubeConfig, options: KubeClusterOptions = {}) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  /** The kubeconfig context this cluster is reached through. */
  get contextName(): string {
    return this.kubeConfig.getCurrentContext();
  }

  /** The API server URL of the context. */
  get serverUrl(): string {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster) {
      throw new KubeOperationError({
        kind: 'invalid', summary: 'Reading the kubeconfig context failed', retryable: false,
        reason: `Context "${this.contextName}" names no cluster.`, fix: 'Fix the context in the kubeconfig or choose another context.',
      });
    }
    return cluster.server;
  }

  // --- requests --------------------------------------------------------------------------------------------------

  private configuration(signal: AbortSignal): k8s.Configuration {
    return k8s.createConfiguration({
      baseServer: new k8s.ServerConfiguration<Record<string, string>>(this.serverUrl, {}),
      authMethods: { default: this.authentication(signal) },
      promiseMiddleware: [{
        pre: async (ctx) => {
          ctx.setSignal(signal);
          return ctx;
        },
        post: MIDDLEWARE_PASS,
      }],
    });
  }

  /**
   * The kubeconfig's credentials, one request at a time. A request that starts while another is authenticated waits
   * and shares its outcome: an exec credential plugin runs once for requests started together (client-node caches
   * what it returns), and when it fails they all fail with it. Connections are kept alive and shared.
   */
  private authentication(signal: AbortSignal): k8s.SecurityAuthentication {
    return {
      getName: () => 'kubeconfig',
      applySecurityAuthentication: async (context) => {
        while (this.authenticating) await this.authenticating;
        // A request stopped while it waited must not start a credential plugin.
        signal.throwIfAborted();
        const attempt = this.kubeConfig.applySecurityAuthentication(context);
        this.authenticating = attempt;
        try {
          await attempt;
        } finally {
          if (this.authenticating === attempt) this.authenticating = undefined;
        }
        const agent = context.getAgent();
        if (agent) context.setAgent(this.sharedAgent(agent));
      },
    };
  }

  /**
   * client-node gives every request a new Agent, so a new TCP connection and TLS handshake (which cost more than a
   * small request itself). Requests share one kept-alive agent instead, made again when the kubeconfig's TLS
   * settings change (a rotated client certificate). Proxy agents are left as they are.
   */
  private sharedAgent(agent: http.Agent): http.Agent {
    const secure = agent.constructor === https.Agent;
    if (!secure && agent.constructor !== http.Agent) return agent;
    const options = (agent as https.Agent).options;
    const key = connectionKey(secure, options);
    if (this.pooled?.key !== key) {
      // The old agent's connections close by themselves once idle; requests still on them finish undisturbed.
      const kept = { ...options, keepAlive: true, timeout: IDLE_CONNECTION_MS };
      this.pooled = { key, agent: secure ? new https.Agent(kept) : new http.Agent(kept) };
    }
    return this.pooled.agent;
  }

  private describe(error: unknown, activity: string): DescribedKubeError {
    let server: string | undefined;
    try {
      server = this.serverUrl;
    } catch {
      server = undefined;
    }
    const exec = this.kubeConfig.getCurrentUser()?.exec as { command?: unknown } | undefined;
    const execPlugin = typeof exec?.command === 'string' ? exec.command : undefined;
    return describeKubeError(error, { activity, context: this.contextName, server, ...(execPlugin ? { execPlugin } : {}) });
  }

  /**
   * Runs one request with the caller's signal and the time limit. Cancellation rejects with CancelledError (at
   * once, even if the request ignores the signal); every other failure with a described KubeOperationError.
   */
  private async request<T>(activity: string, signal: AbortSignal | undefined, run: (config: k8s.Configuration) => Promise<T>): Promise<T> {
    throwIfAborted(signal);
    const controller = new AbortController();
    let timedOut = false;
    let rejectAbort: (error: Error) => void = () => undefined;
    const aborted = new Promise<never>((_, reject) => {
      rejectAbort = reject;
    });
    // The race also ends requests that ignore the signal (an exec plugin waiting for input, for instance).
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
      rejectAbort(new Error('timed out'));
    }, this.requestTimeoutMs);
    const onAbort = () => {
      controller.abort();
      rejectAbort(new CancelledError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await Promise.race([run(this.configuration(controller.signal)), aborted]);
    } catch (err) {
      if (signal?.aborted) throw new CancelledError();
      const cause = timedOut ? new KubeTimeoutError(this.serverUrl, this.requestTimeoutMs) : err;
      throw new KubeOperationError(this.describe(cause, activity), { cause: err });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private api<T>(ctor: new (config: k8s.Configuration) => T): (config: k8s.Configuration) => T {
    return (config) => new ctor(config);
  }

  private objects(config: k8s.Configuration): ObjectClient {
    return new ObjectClient(config, this.discoveryCache, this.kubeConfig);
  }

  // --- cluster facts ---------------------------------------------------------------------------------------------

  /** `GET /version`. */
  version(signal?: AbortSignal): Promise<k8s.VersionInfo> {
    return this.request('Reading the Kubernetes version', signal, (c) => this.api(k8s.VersionApi)(c).getCode());
  }

  /** Names of the API groups the server serves (`GET /apis`), e.g. `apps`, `route.openshift.io`. */
  async apiGroups(signal?: AbortSignal): Promise<string[]> {
    const list = await this.request('Listing the API groups', signal, (c) => this.api(k8s.ApisApi)(c).getAPIVersions());
    return (list.groups ?? []).map((g) => g.name);
  }

  /** The user name and groups the API server sees for this context (SelfSubjectReview). */
  async whoAmI(signal?: AbortSignal): Promise<UserIdentity> {
    const review = await this.request('Asking the API server who the user is', signal, (c) => this.api(k8s.AuthenticationV1Api)(c).createSelfSubjectReview({
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    }));
    const info = review.status?.userInfo ?? {};
    return {
      username: info.username ?? '', groups: info.groups ?? [],
      ...(info.uid ? { uid: info.uid } : {}), ...(info.extra ? { extra: info.extra } : {}),
    };
  }

  /** SelfSubjectAccessReviews, a few at a time; decisions in the order of the reviews. */
  async canI(reviews: AccessReview[], signal?: AbortSignal): Promise<AccessDecision[]> {
    const results: AccessDecision[] = new Array<AccessDecision>(reviews.length);
    let next = 0;
    const worker = async () => {
      while (next < reviews.length) {
        const index = next++;
        const review = reviews[index];
        const spec: k8s.V1SelfSubjectAccessReviewSpec = 'nonResourceURL' in review
          ? { nonResourceAttributes: { verb: review.verb, path: review.nonResourceURL } }
          : {
            resourceAttributes: {
              verb: review.verb, group: review.group, resource: review.resource,
              ...(review.namespace ? { namespace: review.namespace } : {}),
              ...(review.name ? { name: review.name } : {}),
              ...(review.subresource ? { subresource: review.subresource } : {}),
            },
          };
        const answer = await this.request(`Checking whether the user may ${describeAccess(review)}`, signal,
          (c) => this.api(k8s.AuthorizationV1Api)(c).createSelfSubjectAccessReview({
            body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec },
          }));
        const status = answer.status;
        results[index] = {
          review, allowed: status?.allowed === true,
          ...(status?.reason ? { reason: status.reason } : {}),
          ...(status?.evaluationError ? { evaluationError: status.evaluationError } : {}),
        };
      }
    };
    await Promise.all(Array.from({ length: Math.min(6, reviews.length) }, worker));
    return results;
  }

  /** What the user may do in the namespace (SelfSubjectRulesReview): one request instead of one per permission. */
  async rulesFor(namespace: string, signal?: AbortSignal): Promise<AccessRules> {
    const review = await this.request(`Listing what the user may do in namespace ${namespace}`, signal, (c) => this.api(k8s.AuthorizationV1Api)(c).createSelfSubjectRulesReview({
      body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace } },
    }));
    const status = review.status;
    return { namespace, resourceRules: status?.resourceRules ?? [], nonResourceRules: status?.nonResourceRules ?? [], incomplete: status?.incomplete !== false };
  }

  listNodes(signal?: AbortSignal): Promise<k8s.V1Node[]> {
    return this.listAllPages('Listing the nodes', signal, (c, page) => this.api(k8s.CoreV1Api)(c).listNode(page));
  }

  /** Names of every namespace, sorted (for choosing where console access applies). */
  async listNamespaceNames(signal?: AbortSignal): Promise<string[]> {
    const namespaces = await this.listAllPages('Listing the namespaces', signal, (c, page) => this.api(k8s.CoreV1Api)(c).listNamespace(page));
    return namespaces.map((ns) => ns.metadata?.name ?? '').filter(Boolean).sort();
  }

  /** Every item of a list, 500 per request, following the continue token. */
  private async listAllPages<T>(activity: string, signal: AbortSignal | undefined, list: (c: k8s.Configuration, page: { limit: number; _continue?: string }) => Promise<{ items: T[]; metadata?: { _continue?: string } }>): Promise<T[]> {
    const items: T[] = [];
    let cont: string | undefined;
    do {
      const page = await this.request(activity, signal, (c) => list(c, { limit: 500, ...(cont ? { _continue: cont } : {}) }));
      items.push(...page.items);
      cont = page.metadata?._continue;
    } while (cont);
    return items;
  }

  /** The namespace, or undefined when it does not exist. */
  async readNamespace(name: string, signal?: AbortSignal): Promise<k8s.V1Namespace | undefined> {
    try {
      return await this.request(`Reading namespace ${name}`, signal, (c) => this.api(k8s.CoreV1Api)(c).readNamespace({ name }));
    } catch (err) {
      if (err instanceof KubeOperationError && err.described.kind === 'notFound') return undefined;
      throw err;
    }
  }

  async listPods(namespace: string, labelSelector?: string, signal?: AbortSignal): Promise<k8s.V1Pod[]> {
    return (await this.listPodPage(namespace, labelSelector, signal)).items;
  }

  private async listPodPage(namespace: string, labelSelector: string | undefined, signal: AbortSignal | undefined): Promise<{ items: k8s.V1Pod[]; resourceVersion?: string }> {
    const items: k8s.V1Pod[] = [];
    let cont: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const page = await this.request(`Listing pods in namespace ${namespace}`, signal, (c) => this.api(k8s.CoreV1Api)(c).listNamespacedPod({
        namespace, limit: 500, ...(labelSelector ? { labelSelector } : {}), ...(cont ? { _continue: cont } : {}),
      }));
      items.push(...page.items);
      resourceVersion = page.metadata?.resourceVersion;
      cont = page.metadata?._continue;
    } while (cont);
    return { items, resourceVersion };
  }

  /**
   * What serves apiVersion/kind (`GET /api/v1` or `/apis/<group>/<version>`, cached): the plural resource name and
   * whether it is namespaced; undefined when the cluster does not serve it.
   */
  async resourceFor(apiVersion: string, kind: string, signal?: AbortSignal): Promise<{ group: string; version: string; resource: string; namespaced: boolean } | undefined> {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
    try {
      const found = await this.request(`Looking up the API of ${kind}`, signal, (c) => this.objects(c).lookup(apiVersion, kind));
      return found ? { group, version, resource: found.name, namespaced: found.namespaced } : undefined;
    } catch (err) {
      if (err instanceof KubeOperationError && (err.described.kind === 'notFound' || isUnservedKind(err))) return undefined;
      throw err;
    }
  }

  // --- objects ---------------------------------------------------------------------------------------------------

  /** The object as stored, or undefined when it does not exist (or its API is not served). */
  async read<T extends k8s.KubernetesObject = k8s.KubernetesObject>(object: ObjectRef, signal?: AbortSignal): Promise<T | undefined> {
    try {
      return await this.request(`Reading ${describeRef(object)}`, signal, (c) => this.objects(c).read<T>(refOf(object) as k8s.KubernetesObject & ObjectRef));
    } catch (err) {
      if (err instanceof KubeOperationError && (err.described.kind === 'notFound' || isUnservedKind(err))) return undefined;
      throw err;
    }
  }

  /**
   * Objects of one kind matching a label selector, in every namespace (or one), following continue tokens.
   * An API the cluster does not serve gives an empty list.
   */
  async list<T extends k8s.KubernetesObject = k8s.KubernetesObject>(apiVersion: string, kind: string, options: { labelSelector?: string; namespace?: string; signal?: AbortSignal } = {}): Promise<T[]> {
    const items: T[] = [];
    let continueToken: string | undefined;
    try {
      do {
        const page = await this.request(`Listing ${kind} objects`, options.signal, (c) => this.objects(c).list<T>(
          apiVersion, kind, options.namespace, undefined, undefined, undefined, undefined, options.labelSelector, 500, continueToken,
        ));
        items.push(...page.items);
        continueToken = page.metadata?._continue || undefined;
      } while (continueToken);
    } catch (err) {
      if (err instanceof KubeOperationError && (err.described.kind === 'notFound' || isUnservedKind(err))) return [];
      throw err;
    }
    return items;
  }

  async exists(object: ObjectRef, signal?: AbortSignal): Promise<boolean> {
    return (await this.read(object, signal)) !== undefined;
  }

  /**
   * Server-side applies the objects one by one, in the given order (a Namespace before what lives in it).
   * Each object is read first, so the result tells created from already present. A field owned by another
   * manager stops the apply with a KubeApplyError naming the fields and owners, unless forceConflicts is set.
   */
  async apply(objects: ManifestObject[], options: ApplyOptions): Promise<ApplyResult> {
    const { fieldManager, signal } = options;
    const done: AppliedObject[] = [];
    for (const [index, object] of objects.entries()) {
      throwIfAborted(signal);
      const ref = refOf(object);
      const what = describeRef(ref);
      let before: k8s.KubernetesObject | undefined | 'unknown' = 'unknown';
      if (options.classify !== false) {
        try {
          before = await this.read(ref, signal);
        } catch (err) {
          if (!(err instanceof KubeOperationError) || err.described.kind !== 'forbidden') throw this.applyError(err, ref, done, `Applying ${what}`);
          before = 'unknown'; // may apply without being allowed to read: then created and updated look alike
        }
      }
      const patch = (force: boolean) => this.request(`Applying ${what}`, signal, (c) => this.objects(c).patch(
        applyBody(object), undefined, options.dryRun ? 'All' : undefined, fieldManager, force, k8s.PatchStrategy.ServerSideApply));
      let stored: k8s.KubernetesObject;
      let takenOver: FieldConflict[] | undefined;
      try {
        stored = await patch(false);
      } catch (err) {
        const conflicts = fieldManagerConflicts(err instanceof KubeOperationError ? err.cause : err);
        if (conflicts.length === 0 || !options.forceConflicts) throw this.applyError(err, ref, done, `Applying ${what}`, conflicts);
        try {
          stored = await patch(true);
        } catch (forcedErr) {
          throw this.applyError(forcedErr, ref, done, `Applying ${what}`);
        }
        takenOver = conflicts;
      }
      const action: ApplyAction = before === 'unknown' ? 'applied'
        : before === undefined ? 'created'
          : before.metadata?.resourceVersion === stored.metadata?.resourceVersion ? 'unchanged' : 'updated';
      const applied: AppliedObject = { ref, action, object: stored, ...(takenOver ? { takenOver } : {}) };
      done.push(applied);
      options.onApplied?.(applied, index, objects.length);
    }
    return {
      objects: done,
      created: done.filter((a) => a.action === 'created').map((a) => a.ref),
      alreadyPresent: done.filter((a) => a.action === 'updated' || a.action === 'unchanged').map((a) => a.ref),
    };
  }

  private applyError(err: unknown, ref: ObjectRef, done: AppliedObject[], activity: string, conflicts: FieldConflict[] = []): Error {
    if (err instanceof CancelledError || (err instanceof Error && err.name === 'CancelledError')) return err;
    const described = err instanceof KubeOperationError ? { ...err.described, summary: `${activity} failed` } : this.describe(err, activity);
    const cause = err instanceof KubeOperationError ? err.cause : err;
    return new KubeApplyError(described, ref, [...done], conflicts, cause);
  }

  /** Deletes the objects in the given order; missing ones (or kinds the cluster does not serve) count as absent. */
  async delete(objects: ObjectRef[], options: DeleteOptions = {}): Promise<DeleteResult> {
    const { signal } = options;
    const result: DeleteResult = { deleted: [], absent: [] };
    for (const object of objects) {
      throwIfAborted(signal);
      const ref = refOf(object);
      try {
        await this.request(`Deleting ${describeRef(ref)}`, signal, (c) => this.objects(c).delete(
          ref as k8s.KubernetesObject, undefined, undefined, undefined, undefined, options.propagation ?? 'Background'));
        result.deleted.push(ref);
      } catch (err) {
        if (err instanceof KubeOperationError && (err.described.kind === 'notFound' || isUnservedKind(err))) result.absent.push(ref);
        else throw err;
      }
    }
    if (options.wait) await this.waitUntilGone(result.deleted, options.waitTimeoutMs ?? 120_000, signal);
    return result;
  }

  private async waitUntilGone(refs: ObjectRef[], timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const ref of refs) {
      while (await this.exists(ref, signal)) {
        if (Date.now() > deadline) {
          throw new KubeOperationError({
            kind: 'unknown', summary: `Waiting for ${describeRef(ref)} to be deleted failed`, retryable: true,
            reason: `${describeRef(ref)} still exists after ${Math.round(timeoutMs / 1000)} s (finalizers or dependents may hold it).`,
            fix: `Check what holds it: kubectl get ${ref.kind.toLowerCase()} ${ref.metadata.name}${ref.metadata.namespace ? ` -n ${ref.metadata.namespace}` : ''} -o yaml (finalizers, status).`,
          });
        }
        await sleep(250, signal);
      }
    }
  }

  // --- pod watch -------------------------------------------------------------------------------------------------

  /**
   * Lists the pods (each reported as ADDED), then watches them. When the watch ends or drops, the pods are listed
   * again (changes since are reported with resync: true) and the watch resumes from there. Retryable failures back
   * off (1 s doubling to 30 s); a non-retryable one (forbidden, unauthorized) rejects. Resolves once `signal`
   * aborts, after the watch connection is closed.
   */
  async watchPods(namespace: string, labelSelector: string | undefined, onEvent: (event: PodEvent) => void, signal?: AbortSignal, options: WatchPodsOptions = {}): Promise<void> {
    const known = new Map<string, k8s.V1Pod>();
    const timeoutSeconds = options.timeoutSeconds ?? 300;
    let failures = 0;
    let first = true;
    while (!signal?.aborted) {
      try {
        const list = await this.listPodPage(namespace, labelSelector, signal);
        const seen = new Set<string>();
        for (const pod of list.items) {
          const name = pod.metadata?.name ?? '';
          seen.add(name);
          const old = known.get(name);
          known.set(name, pod);
          if (!old) onEvent({ type: 'ADDED', pod, resync: !first });
          else if (old.metadata?.resourceVersion !== pod.metadata?.resourceVersion) onEvent({ type: 'MODIFIED', pod, resync: true });
        }
        for (const [name, pod] of [...known]) {
          if (!seen.has(name)) {
            known.delete(name);
            onEvent({ type: 'DELETED', pod, resync: true });
          }
        }
        first = false;
        await this.watchOnce(namespace, labelSelector, list.resourceVersion, timeoutSeconds, known, onEvent, signal);
        failures = 0;
      } catch (err) {
        if (signal?.aborted) break;
        const described = err instanceof KubeOperationError ? err.described : this.describe(err, `Watching pods in namespace ${namespace}`);
        if (!described.retryable) throw err instanceof KubeOperationError ? err : new KubeOperationError(described, { cause: err });
        failures++;
        options.onRetry?.(described, failures);
        try {
          await sleep(Math.min(30_000, 1000 * 2 ** (failures - 1)), signal);
        } catch {
          break; // aborted while backing off
        }
      }
    }
  }

  /**
   * One watch connection from `resourceVersion`. Resolves when it ends (server timeout, dropped connection, 410
   * Gone: all mean "list again"), rejects on a failed request; on abort it closes the connection and resolves.
   */
  private watchOnce(namespace: string, labelSelector: string | undefined, resourceVersion: string | undefined, timeoutSeconds: number,
    known: Map<string, k8s.V1Pod>, onEvent: (event: PodEvent) => void, signal: AbortSignal | undefined): Promise<void> {
    const activity = `Watching pods in namespace ${namespace}`;
    return new Promise<void>((resolve, reject) => {
      let finished = false;
      let controller: AbortController | undefined;
      let idle: NodeJS.Timeout | undefined;
      const finish = (err?: unknown) => {
        if (finished) return;
        finished = true;
        if (idle) clearTimeout(idle);
        signal?.removeEventListener('abort', onAbort);
        controller?.abort();
        if (err && !signal?.aborted) reject(err);
        else resolve();
      };
      const onAbort = () => finish();
      // A connection that dies without a FIN never ends by itself: no event or bookmark for this long means dropped.
      const armIdle = () => {
        if (idle) clearTimeout(idle);
        idle = setTimeout(() => finish(), (timeoutSeconds + 60) * 1000);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      armIdle();
      const watch = new k8s.Watch(this.kubeConfig);
      const params: Record<string, string | number | boolean | undefined> = {
        allowWatchBookmarks: true, timeoutSeconds, labelSelector, resourceVersion,
      };
      watch.watch(`/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`, params, (type: string, raw: unknown) => {
        if (finished) return;
        armIdle();
        const obj = raw as k8s.KubernetesObject & { code?: number };
        if (type === 'ERROR') {
          // 410 Gone: the resource version is too old; anything else is reported like a failed request.
          if (obj.code === 410) finish();
          else finish(new KubeOperationError(this.describe(Object.assign(new Error('watch error'), { code: obj.code ?? 500, body: raw }), activity)));
          return;
        }
        if (type === 'BOOKMARK') return;
        if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') return;
        // Watch events come as plain JSON; reading them through client-node's YAML loader gives the same typed V1Pod as a list.
        const pod = k8s.loadYaml<k8s.V1Pod>(JSON.stringify(raw));
        const name = pod.metadata?.name ?? '';
        if (type === 'DELETED') known.delete(name);
        else known.set(name, pod);
        onEvent({ type, pod, resync: false });
      }, (err: unknown) => {
        if (!err) return finish();
        const status = httpStatusOf(err);
        // The stream breaking (reset, premature close) is a drop: list again. A refused request is a failure.
        if (status === undefined && !isRequestFailure(err)) return finish();
        finish(new KubeOperationError(this.describe(err, activity), { cause: err }));
      }).then((c) => {
        controller = c;
        if (finished) c.abort(); // aborted (or failed) before the connection was up
      }, (err: unknown) => finish(new KubeOperationError(this.describe(err, activity), { cause: err })));
    });
  }
}

/** A request that never reached a stream (refused connection, DNS, TLS), as opposed to a stream that broke. */
function isRequestFailure(err: unknown): boolean {
  const e = err as { type?: string; code?: unknown; name?: string };
  return e?.type === 'system' && typeof e.code === 'string' && e.code !== 'ECONNRESET' && e.code !== 'ERR_STREAM_PREMATURE_CLOSE';
}

/** client-node's error for an apiVersion/kind whose API the cluster does not serve (no CRD, or an old version). */
function isUnservedKind(err: KubeOperationError): boolean {
  return err.described.kind === 'invalid' && /^The cluster does not serve /.test(err.described.reason);
}

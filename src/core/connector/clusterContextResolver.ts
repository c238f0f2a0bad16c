// Finds the kube context that reaches a connected cluster, without sending credentials to clusters the user did not
// agree to: a context named by the user, or else the context remembered for the cluster's ARN (the one it was
// registered or last found through) and then the current context; any other context only once the caller's `ask`
// approves it. A cluster is recognised by its connector's activation id — the StatefulSet's `EKS_ACTIVATION_ID`
// equals DescribeCluster's `connectorConfig.activationId` — so connectors applied by eksctl, the console's manifest
// or Helm are found too; our namespace annotation is only the hint when there is no activation id to compare.
import type { Cluster } from '@aws-sdk/client-eks';
import type { V1StatefulSet } from '@kubernetes/client-node';
import { KubeOperationError, describeKubeError } from '../kube/errors';
import type { KubeCluster, KubeClusterOptions } from '../kube/kubeCluster';
import { isCancellation } from '../util/abort';
import { CLUSTER_ANNOTATION, CONNECTOR_NAMESPACE } from './names';
import { ConnectorError, awsStep } from './connectorError';
import type { ClusterTarget } from './connectorContext';
import { STATEFUL_SET_REF, activationIdOf } from './connectorObjects';
import type { RegistrationApi } from './registrationApi';

/** Where the context of each cluster is remembered (the extension keeps it in its global state). */
export interface ContextMemory {
  recall(clusterArn: string): string | undefined;
  remember(clusterArn: string, contextName: string): PromiseLike<void> | void;
}

/** The kubeconfig's contexts, and a cluster client for one of them (which may throw when it cannot be used). */
export interface KubeContexts {
  readonly contexts: ReadonlyArray<{ readonly name: string; readonly usable: boolean; readonly server?: string }>;
  readonly currentContext?: string;
  open(contextName: string, options?: KubeClusterOptions): KubeCluster;
}

export interface ClusterContextResolverDeps {
  readonly kubeconfig: KubeContexts;
  readonly registration: Pick<RegistrationApi, 'describe'>;
  readonly memory?: ContextMemory;
  /** Time limit of each request while looking at a context; default 5 s. */
  readonly probeTimeoutMs?: number;
}

export type ContextSource = 'given' | 'remembered' | 'current' | 'chosen';

/** A context that was looked at, and why it is not the cluster's. */
export interface ContextAttempt {
  readonly context: string;
  readonly source: ContextSource;
  readonly outcome: string;
}

export interface ContextQuestion {
  readonly target: ClusterTarget;
  readonly tried: readonly ContextAttempt[];
  /** Usable contexts not looked at yet: none has been sent a request. */
  readonly untried: ReadonlyArray<{ readonly name: string; readonly server?: string }>;
}

/** Asked before any other context is tried: the contexts the user agrees to try, or undefined (or none) to stop. */
export type AskForContexts = (question: ContextQuestion) => Promise<readonly string[] | undefined>;

export interface ResolveOptions {
  /** A context the user named: the only one tried without asking. */
  readonly context?: string;
  readonly ask: AskForContexts;
  readonly signal?: AbortSignal;
}

export type ContextResolution =
  | { readonly found: true; readonly kube: KubeCluster; readonly context: string; readonly source: ContextSource; readonly cluster?: Cluster; readonly tried: readonly ContextAttempt[] }
  | { readonly found: false; readonly cluster?: Cluster; readonly tried: readonly ContextAttempt[]; readonly untried: readonly string[] };

interface Wanted {
  readonly activationId?: string;
  /** Our namespace annotation's value for this registration. */
  readonly annotation: string;
}

const DEFAULT_PROBE_TIMEOUT_MS = 5000;

export class ClusterContextResolver {
  constructor(private readonly deps: ClusterContextResolverDeps) {}

  /** Records the context a registration was made through (and is found through again). */
  async remember(clusterArn: string | undefined, contextName: string): Promise<void> {
    if (clusterArn) await this.deps.memory?.remember(clusterArn, contextName);
  }

  async resolve(target: ClusterTarget, options: ResolveOptions): Promise<ContextResolution> {
    const { signal } = options;
    const cluster = await awsStep(() => this.deps.registration.describe(target.region, target.name, signal), `Looking up ${target.name} in ${target.region}`, 'eks:DescribeCluster');
    if (cluster && !cluster.connectorConfig) {
      throw new ConnectorError(`${target.name} in ${target.region} is an EKS-managed cluster, not a connected one: it has no connector to find in a kube context.`, 'input');
    }
    const wanted: Wanted = { activationId: cluster?.connectorConfig?.activationId, annotation: `${target.region}/${target.name}` };
    const tried: ContextAttempt[] = [];
    const found = async (context: string, source: ContextSource): Promise<ContextResolution> => {
      if (source !== 'given') await this.remember(cluster?.arn, context);
      return { found: true, kube: this.deps.kubeconfig.open(context), context, source, cluster, tried };
    };

    const first: Array<[string, ContextSource]> = [];
    if (options.context !== undefined) {
      first.push([options.context, 'given']);
    } else {
      const remembered = cluster?.arn ? this.deps.memory?.recall(cluster.arn) : undefined;
      if (remembered) first.push([remembered, 'remembered']);
      const current = this.deps.kubeconfig.currentContext;
      if (current && current !== remembered) first.push([current, 'current']);
    }
    for (const [context, source] of first) {
      const outcome = await this.look(context, wanted, signal);
      if (outcome === undefined) return found(context, source);
      tried.push({ context, source, outcome });
    }

    for (;;) {
      const untried = this.deps.kubeconfig.contexts.filter((c) => c.usable && !tried.some((t) => t.context === c.name));
      if (untried.length === 0) return { found: false, cluster, tried, untried: [] };
      const chosen = (await options.ask({ target, tried: [...tried], untried: untried.map((c) => ({ name: c.name, server: c.server })) }))
        ?.filter((name) => untried.some((c) => c.name === name));
      if (!chosen?.length) return { found: false, cluster, tried, untried: untried.map((c) => c.name) };
      // The user agreed to each of these: look at them side by side, and take the first (in their order) that matches.
      const outcomes = await Promise.all(chosen.map((context) => this.look(context, wanted, signal)));
      const match = chosen.findIndex((_, i) => outcomes[i] === undefined);
      if (match >= 0) return found(chosen[match], 'chosen');
      chosen.forEach((context, i) => tried.push({ context, source: 'chosen', outcome: outcomes[i]! }));
    }
  }

  /** Undefined when the context reaches the wanted cluster; otherwise why it does not (or could not be told). */
  private async look(contextName: string, wanted: Wanted, signal?: AbortSignal): Promise<string | undefined> {
    const info = this.deps.kubeconfig.contexts.find((c) => c.name === contextName);
    if (!info) return 'is not in the kubeconfig';
    let kube: KubeCluster;
    try {
      kube = this.deps.kubeconfig.open(contextName, { requestTimeoutMs: this.deps.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS });
    } catch (error) {
      return `cannot be used: ${(error as Error).message}`;
    }
    try {
      const stateful = await kube.read<V1StatefulSet>(STATEFUL_SET_REF, signal);
      const installed = activationIdOf(stateful?.spec?.template.spec);
      if (wanted.activationId && installed) return installed === wanted.activationId ? undefined : 'runs the connector of another registration';
      // No activation id to compare (no StatefulSet, or no registration any more): our annotation is the hint.
      const namespace = await kube.readNamespace(CONNECTOR_NAMESPACE, signal);
      if (namespace?.metadata?.annotations?.[CLUSTER_ANNOTATION] === wanted.annotation) return undefined;
      return stateful ? 'runs the connector of another registration' : 'runs no EKS connector';
    } catch (error) {
      if (isCancellation(error)) throw error;
      const described = error instanceof KubeOperationError ? error.described : describeKubeError(error, { activity: 'Looking for the connector', context: contextName });
      return `${described.summary}: ${described.reason}`;
    }
  }
}

/** What was looked at and why none is the cluster's: for the message when no context was found. */
export function describeUnresolved(target: ClusterTarget, resolution: Extract<ContextResolution, { found: false }>): string {
  const tried = resolution.tried.map((t) => `${t.context} (${t.source}) ${t.outcome.replace(/\.$/, '')}`);
  const parts = [`No kube context was found for ${target.name} in ${target.region}`];
  if (tried.length) parts.push(`Looked at: ${tried.join('; ')}`);
  if (resolution.untried.length) parts.push(`Not tried without your consent: ${resolution.untried.join(', ')}`);
  return `${parts.join('. ')}.`;
}

// The AWS side of connecting a cluster: EKS RegisterCluster / DescribeCluster / DeregisterCluster, the connected
// cluster count against the regional quota, and the SSM managed instances the connector agents became.
import {
  DeregisterClusterCommand, DescribeClusterCommand, ListClustersCommand, RegisterClusterCommand, type Cluster, type ConnectorConfigProvider,
} from '@aws-sdk/client-eks';
import { DeregisterManagedInstanceCommand, DescribeInstanceInformationCommand, type InstanceInformation } from '@aws-sdk/client-ssm';
import type { AwsSession } from '../aws/session';
import { callWithRetry } from '../aws/retry';
import { sleep, throwIfAborted } from '../util/abort';

/** The default quota of connected clusters per account and region (adjustable through Service Quotas). */
export const CONNECTED_CLUSTER_QUOTA = 10;
/** The largest page ListClusters gives. */
const LIST_PAGE_SIZE = 100;

type Session = Pick<AwsSession, 'eks' | 'ssm'>;

export interface RegisterInput {
  readonly region: string;
  readonly name: string;
  readonly provider: string;
  readonly roleArn: string;
  readonly tags?: Record<string, string>;
  /** Kept by the caller across retries so a repeated call returns the same registration (idempotency). */
  readonly clientRequestToken: string;
}

export interface RegisterOptions {
  readonly signal?: AbortSignal;
  /** How long to keep retrying while a new IAM role propagates (eksctl waits up to 3 minutes). */
  readonly propagationWaitMs?: number;
  readonly onRetry?: (reason: string, attempt: number) => void;
}

function errorName(error: unknown): string {
  return (error as { name?: string })?.name ?? '';
}

/** Errors RegisterCluster gives while a just-created role or the service-linked role is still propagating. */
export function isPropagationError(error: unknown): boolean {
  const message = (error as Error)?.message ?? '';
  return errorName(error) === 'ResourcePropagationDelayException'
    || /Not existing role|Nonexistent role|role .* (does not exist|cannot be assumed)|AWSServiceRoleForAmazonEKSConnector is not available/i.test(message);
}

export class RegistrationApi {
  constructor(private readonly session: Session) {}

  /** DescribeCluster, or undefined when no cluster of that name exists in the region. */
  async describe(region: string, name: string, signal?: AbortSignal): Promise<Cluster | undefined> {
    const eks = await this.session.eks(region);
    try {
      const out = await callWithRetry(() => eks.send(new DescribeClusterCommand({ name }), { abortSignal: signal }), { signal });
      return out.cluster;
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') return undefined;
      throw error;
    }
  }

  async register(input: RegisterInput, options: RegisterOptions = {}): Promise<Cluster> {
    const eks = await this.session.eks(input.region);
    const deadline = Date.now() + (options.propagationWaitMs ?? 180_000);
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(options.signal);
      try {
        const out = await callWithRetry(() => eks.send(new RegisterClusterCommand({
          name: input.name,
          connectorConfig: { roleArn: input.roleArn, provider: input.provider as ConnectorConfigProvider },
          clientRequestToken: input.clientRequestToken,
          ...(input.tags && Object.keys(input.tags).length ? { tags: input.tags } : {}),
        }), { abortSignal: options.signal }), { signal: options.signal });
        return out.cluster!;
      } catch (error) {
        if (!isPropagationError(error) || Date.now() >= deadline) throw error;
        options.onRetry?.((error as Error).message, attempt);
        await sleep(Math.min(2000 * 2 ** (attempt - 1), 20_000), options.signal);
      }
    }
  }

  /** DeregisterCluster; an already absent registration is not an error. */
  async deregister(region: string, name: string, signal?: AbortSignal): Promise<'deregistering' | 'absent'> {
    const eks = await this.session.eks(region);
    try {
      await callWithRetry(() => eks.send(new DeregisterClusterCommand({ name }), { abortSignal: signal }), { signal });
      return 'deregistering';
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') return 'absent';
      throw error;
    }
  }

  /**
   * Polls DescribeCluster until the status is one of `until` (returns the cluster), one of `failOn` (throws), or
   * the cluster disappears (returns undefined, the wanted outcome when waiting for a deregistration).
   */
  async waitForStatus(region: string, name: string, options: { until: string[]; failOn?: string[]; intervalMs?: number; timeoutMs?: number; signal?: AbortSignal; onPoll?: (cluster: Cluster) => void }): Promise<Cluster | undefined> {
    const deadline = Date.now() + (options.timeoutMs ?? 20 * 60_000);
    for (;;) {
      const cluster = await this.describe(region, name, options.signal);
      if (!cluster) return undefined;
      options.onPoll?.(cluster);
      if (options.until.includes(cluster.status ?? '')) return cluster;
      if (options.failOn?.includes(cluster.status ?? '')) {
        throw Object.assign(new Error(`The registration of ${name} in ${region} is ${cluster.status}.`), { name: 'RegistrationFailedError', cluster });
      }
      if (Date.now() >= deadline) {
        throw Object.assign(new Error(`${name} in ${region} is still ${cluster.status} after ${Math.round((options.timeoutMs ?? 0) / 1000)} s.`), { name: 'RegistrationTimeoutError', cluster });
      }
      await sleep(options.intervalMs ?? 5000, options.signal);
    }
  }

  /**
   * How many connected clusters the region holds (EKS clusters do not count against the connector quota).
   * ListClusters lists EKS clusters alone, or every cluster with `include=all`: the difference is the connected
   * ones, counted in two paged listings instead of a DescribeCluster per cluster.
   */
  async countConnected(region: string, signal?: AbortSignal): Promise<number> {
    const [all, eksOnly] = await Promise.all([this.countListed(region, true, signal), this.countListed(region, false, signal)]);
    // A cluster created between the two listings could make the difference negative for a moment.
    return Math.max(0, all - eksOnly);
  }

  private async countListed(region: string, includeConnected: boolean, signal?: AbortSignal): Promise<number> {
    return (await this.listNames(region, includeConnected, signal)).length;
  }

  /** The names ListClusters gives in a region: EKS clusters alone, or with the connected ones (`include=all`). */
  async listNames(region: string, includeConnected: boolean, signal?: AbortSignal): Promise<string[]> {
    const eks = await this.session.eks(region);
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await callWithRetry(() => eks.send(new ListClustersCommand({
        ...(includeConnected ? { include: ['all'] } : {}), maxResults: LIST_PAGE_SIZE, nextToken,
      }), { abortSignal: signal }), { signal });
      names.push(...(page.clusters ?? []));
      nextToken = page.nextToken || undefined;
    } while (nextToken);
    return names;
  }

  /** The SSM managed instances registered with an activation (the connector agents). */
  async managedInstances(region: string, activationId: string, signal?: AbortSignal): Promise<InstanceInformation[]> {
    const ssm = await this.session.ssm(region);
    const instances: InstanceInformation[] = [];
    let nextToken: string | undefined;
    do {
      const page = await callWithRetry(() => ssm.send(new DescribeInstanceInformationCommand({
        Filters: [{ Key: 'ActivationIds', Values: [activationId] }], MaxResults: 50, NextToken: nextToken,
      }), { abortSignal: signal }), { signal });
      instances.push(...(page.InstanceInformationList ?? []));
      nextToken = page.NextToken;
    } while (nextToken);
    return instances;
  }

  async deregisterInstance(region: string, instanceId: string, signal?: AbortSignal): Promise<void> {
    const ssm = await this.session.ssm(region);
    await callWithRetry(() => ssm.send(new DeregisterManagedInstanceCommand({ InstanceId: instanceId }), { abortSignal: signal }), { signal });
  }
}

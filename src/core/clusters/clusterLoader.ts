// Loads cluster names and details per region. Names come from ListClusters (include=all, pages of 100); each
// cluster is then classified with DescribeCluster, with bounded concurrency per region so that one large region
// cannot starve the others and a throttled region drains at the rate the service allows.
import { DescribeClusterCommand, DescribeNodegroupCommand, ListClustersCommand, ListNodegroupsCommand, type Cluster, type Nodegroup } from '@aws-sdk/client-eks';
import pLimit, { type LimitFunction } from 'p-limit';
import type { AwsSession } from '../aws/session';
import { callWithRetry } from '../aws/retry';
import { summarizeCluster, type ClusterSummary } from './clusterModel';

export const CLUSTER_PAGE_SIZE = 100;

export interface ClusterPage {
  readonly names: string[];
  readonly nextToken?: string;
}

export type DescribeResult =
  | { readonly name: string; readonly ok: true; readonly cluster: Cluster; readonly summary: ClusterSummary }
  | { readonly name: string; readonly ok: false; readonly error: unknown };

export interface ClusterLoaderOptions {
  /** DescribeCluster calls in flight per region. */
  readonly describeConcurrency?: number;
  readonly pageSize?: number;
  /** How long DescribeCluster calls may wait for other regions' names (ms). */
  readonly namesFirstMs?: number;
  /** Observes throttled attempts (they are retried, never shown). */
  readonly onThrottled?: (region: string) => void;
}

export interface RegionLoadListener {
  onPage?(region: string, page: ClusterPage): void;
  onCluster?(region: string, result: DescribeResult): void;
  onRegionError?(region: string, error: unknown): void;
}

type EksSource = Pick<AwsSession, 'eks'>;

export class ClusterLoader {
  private readonly limiters = new Map<string, LimitFunction>();
  private readonly concurrency: number;
  private readonly pageSize: number;
  private readonly namesFirstMs: number;
  /** ListClusters calls in flight; DescribeCluster waits for them so every region's names show first. */
  private listing = 0;
  private listingSettled?: { promise: Promise<void>; resolve: () => void };

  constructor(private readonly session: EksSource, private readonly options: ClusterLoaderOptions = {}) {
    this.concurrency = options.describeConcurrency ?? 10;
    this.pageSize = options.pageSize ?? CLUSTER_PAGE_SIZE;
    this.namesFirstMs = options.namesFirstMs ?? 2000;
  }

  async listPage(region: string, nextToken: string | undefined, signal?: AbortSignal): Promise<ClusterPage> {
    this.listing++;
    try {
      const eks = await this.session.eks(region);
      const out = await callWithRetry(
        () => eks.send(new ListClustersCommand({ include: ['all'], maxResults: this.pageSize, nextToken }), { abortSignal: signal }),
        { signal, onThrottled: () => this.options.onThrottled?.(region) },
      );
      return { names: out.clusters ?? [], nextToken: out.nextToken || undefined };
    } finally {
      if (--this.listing === 0) {
        this.listingSettled?.resolve();
        this.listingSettled = undefined;
      }
    }
  }

  /**
   * Names before statuses: while another region is still listing, DescribeCluster calls wait (at most
   * `namesFirstMs`, so one slow region cannot hold the others' statuses back), keeping the event loop and the
   * connection pool free for the ListClusters answers the user is waiting to see.
   */
  private async namesSettled(): Promise<void> {
    if (this.listing === 0) return;
    if (!this.listingSettled) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.listingSettled = { promise, resolve };
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.listingSettled.promise, new Promise<void>((r) => (timer = setTimeout(r, this.namesFirstMs)))]);
    clearTimeout(timer);
  }

  async describe(region: string, name: string, signal?: AbortSignal): Promise<DescribeResult> {
    try {
      const eks = await this.session.eks(region);
      const out = await callWithRetry(
        () => eks.send(new DescribeClusterCommand({ name }), { abortSignal: signal }),
        { signal, onThrottled: () => this.options.onThrottled?.(region) },
      );
      if (!out.cluster) throw new Error(`DescribeCluster returned no cluster for ${name}`);
      return { name, ok: true, cluster: out.cluster, summary: summarizeCluster(out.cluster, region) };
    } catch (error) {
      return { name, ok: false, error };
    }
  }

  /** The node groups of an EKS cluster (ListNodegroups, then DescribeNodegroup for each); a connected cluster has none. */
  async nodegroups(region: string, name: string, signal?: AbortSignal): Promise<Nodegroup[]> {
    const eks = await this.session.eks(region);
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await callWithRetry(() => eks.send(new ListNodegroupsCommand({ clusterName: name, nextToken }), { abortSignal: signal }), { signal });
      names.push(...(page.nodegroups ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    const limit = this.limiterFor(region);
    return Promise.all(names.map((nodegroupName) => limit(async () => {
      const out = await callWithRetry(() => eks.send(new DescribeNodegroupCommand({ clusterName: name, nodegroupName }), { abortSignal: signal }), { signal });
      return out.nodegroup ?? { nodegroupName };
    })));
  }

  /** Describes names with the region's shared concurrency limit; results arrive through `onResult` as they land. */
  async describeMany(region: string, names: readonly string[], signal: AbortSignal | undefined, onResult: (r: DescribeResult) => void): Promise<void> {
    const limit = this.limiterFor(region);
    await this.namesSettled();
    await Promise.all(names.map((name) => limit(async () => {
      if (signal?.aborted) return;
      const result = await this.describe(region, name, signal);
      if (!signal?.aborted) onResult(result);
    })));
  }

  /** Every page and every cluster of every region, in parallel across regions (used by the CLI and benchmarks). */
  async loadRegions(regions: readonly string[], listener: RegionLoadListener, signal?: AbortSignal): Promise<void> {
    await Promise.all(regions.map(async (region) => {
      try {
        const describing: Promise<void>[] = [];
        let token: string | undefined;
        do {
          const page = await this.listPage(region, token, signal);
          listener.onPage?.(region, page);
          describing.push(this.describeMany(region, page.names, signal, (r) => listener.onCluster?.(region, r)));
          token = page.nextToken;
        } while (token && !signal?.aborted);
        await Promise.all(describing);
      } catch (error) {
        listener.onRegionError?.(region, error);
      }
    }));
  }

  private limiterFor(region: string): LimitFunction {
    let limit = this.limiters.get(region);
    if (!limit) {
      limit = pLimit(this.concurrency);
      this.limiters.set(region, limit);
    }
    return limit;
  }
}

/** The eksctl-style baseline: region after region, cluster after cluster. Kept for the benchmark's comparison. */
export async function loadSequentially(loader: ClusterLoader, regions: readonly string[], signal?: AbortSignal): Promise<number> {
  let count = 0;
  for (const region of regions) {
    let token: string | undefined;
    do {
      const page = await loader.listPage(region, token, signal);
      for (const name of page.names) {
        const result = await loader.describe(region, name, signal);
        if (!result.ok) throw result.error;
        count++;
      }
      token = page.nextToken;
    } while (token);
  }
  return count;
}

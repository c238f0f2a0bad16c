// The Clusters view: account, then one node per chosen region, then that region's clusters. Names appear as soon
// as ListClusters answers; each cluster's status fills in as its DescribeCluster lands. Nothing thrown while
// loading escapes getChildren: failures become error nodes with a retry, and other regions load on regardless.
import * as vscode from 'vscode';
import type { AwsConnection, ConnectionState } from '../shared/awsConnection';
import type { ScopedLogger } from '../shared/logger';
import { loadCore, type Core } from '../shared/core';
import { describeAwsError } from '../core/aws/errors';
import { isCancellation } from '../core/util/abort';
import { AccountNode, ClusterNode, LoadMoreNode, MessageNode, RegionNode, type ExplorerNode } from './nodes';

type ClusterLoader = InstanceType<Core['ClusterLoader']>;

/** What is loaded for one region; replaced on refresh (the previous one is aborted). */
class RegionLoad {
  readonly abort = new AbortController();
  readonly names: string[] = [];
  nextToken?: string;
  pages = 0;
  loadingMore = false;
  firstPages?: Promise<void>;
  error?: ReturnType<typeof describeAwsError>;
  loadMoreNode?: LoadMoreNode;
  /** The background DescribeCluster rounds of the loaded pages. */
  readonly describing: Promise<void>[] = [];
  /** Set once the first pages have been listed (or failed). */
  settled = false;
  /** The clusters of the load this one replaces: shown while it lists. */
  shownWhileLoading: string[] = [];
}

/** Statuses a cluster leaves on its own within minutes (PENDING: a registration waiting for its agent). */
const TRANSITIONAL_STATUSES: ReadonlySet<string> = new Set(['CREATING', 'UPDATING', 'DELETING', 'PENDING']);

export class ClusterTreeProvider implements vscode.TreeDataProvider<ExplorerNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<ExplorerNode | ExplorerNode[] | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly stateEmitter = new vscode.EventEmitter<ConnectionState | undefined>();
  /** Fires with the connection state whenever the root is (re)loaded; undefined while loading. */
  readonly onDidChangeState = this.stateEmitter.event;

  private rootAbort = new AbortController();
  private root?: Promise<ExplorerNode[]>;
  private state?: ConnectionState;
  private loader?: ClusterLoader;
  private readonly loads = new Map<string, RegionLoad>();
  /** Cluster nodes by id, reused across refreshes so the tree keeps selection and shows old data until new lands. */
  private readonly clusterNodes = new Map<string, ClusterNode>();
  private readonly pendingChanges = new Set<ExplorerNode>();
  private flushTimer?: NodeJS.Timeout;

  constructor(
    private readonly connection: AwsConnection,
    private readonly log: ScopedLogger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get connectionState(): ConnectionState | undefined {
    return this.state;
  }

  getTreeItem(node: ExplorerNode): vscode.TreeItem {
    return node.type === 'cluster' ? node.toTreeItem(this.now(), { locale: vscode.env.language }) : node.toTreeItem();
  }

  getParent(node: ExplorerNode): ExplorerNode | undefined {
    if (node.type === 'cluster' || node.type === 'loadMore') return node.parent;
    if (node.type === 'message') return node.options.parent;
    return undefined;
  }

  async getChildren(node?: ExplorerNode): Promise<ExplorerNode[]> {
    try {
      if (!node) return await this.rootChildren();
      if (node.type === 'region') return await this.regionChildren(node);
      return [];
    } catch (error) {
      // Last line of defence: anything unexpected becomes a node, never an exception in the view.
      this.log.error(`Loading the Clusters view failed${node ? ` under ${node.type}` : ''}`, error);
      const described = describeAwsError(error, { activity: 'Loading the Clusters view' });
      return [MessageNode.forError(`error:${node?.type ?? 'root'}`, described, { command: 'eksConnector.refresh', title: 'Retry' })];
    }
  }

  /** Reloads everything: identity, regions and clusters. */
  refreshAll(): void {
    this.rootAbort.abort();
    this.rootAbort = new AbortController();
    for (const load of this.loads.values()) load.abort.abort();
    this.loads.clear();
    this.root = undefined;
    this.loader = undefined;
    this.state = undefined;
    this.stateEmitter.fire(undefined);
    this.emitter.fire(undefined);
  }

  /**
   * Reloads one region, keeping as many pages as were loaded. The load starts at once (also while the region is
   * collapsed); until it lands the region says "loading…" and keeps its clusters (or, after an error, shows a
   * loading row), so a retry or refresh is visibly under way. VS Code redraws a row only once its children are
   * fetched, hence children that answer at once while loading.
   */
  refreshRegion(given: RegionNode): void {
    // Callers may hold a node from before a full refresh (a cluster's parent, a retry command): VS Code knows
    // only the current one, and ignores a change event for any other object.
    const node = this.cachedRegionNodes.find((r) => r.id === given.id) ?? given;
    const previous = this.loads.get(node.id);
    previous?.abort.abort();
    this.loads.delete(node.id);
    this.pendingPages.set(node.id, Math.max(1, previous?.pages ?? 1));
    if (!this.regionNodes().includes(node)) return;
    const load = this.startLoad(node);
    load.shownWhileLoading = previous?.names.slice() ?? [];
    node.loading = true;
    this.emitter.fire(node);
    void load.firstPages?.then(() => {
      if (this.loads.get(node.id) !== load) return;
      node.loading = false;
      this.emitter.fire(node);
    });
  }

  /** Reloads every region that has been loaded (the periodic refresh); the identity is kept. */
  refreshLoadedRegions(): void {
    for (const node of this.regionNodes()) if (this.loads.has(node.id)) this.refreshRegion(node);
  }

  /**
   * Re-describes only the loaded clusters whose status changes on its own within minutes (creating, updating,
   * deleting, waiting for the agent), so the view follows them without waiting for the periodic refresh. A cluster
   * that has gone reloads its region, which drops it.
   */
  async pollTransitional(): Promise<void> {
    const byRegion = new Map<RegionNode, string[]>();
    for (const node of this.clusterNodes.values()) {
      if (!TRANSITIONAL_STATUSES.has(node.summary?.status ?? '')) continue;
      const load = this.loads.get(node.parent.id);
      if (!load || !load.names.includes(node.name)) continue;
      byRegion.set(node.parent, [...(byRegion.get(node.parent) ?? []), node.name]);
    }
    await Promise.all([...byRegion].map(([region, names]) => {
      let gone = false;
      return this.describeInto(region, names, this.loads.get(region.id)!.abort.signal, (error) => {
        if (gone || describeAwsError(error, { activity: 'Describing a cluster in transition' }).kind !== 'notFound') return false;
        gone = true;
        this.refreshRegion(region);
        return true;
      });
    }));
  }

  /** Re-renders pending connected clusters so their activation countdown stays current (no network). */
  tickCountdowns(): void {
    for (const node of this.clusterNodes.values()) {
      if (node.summary?.kind === 'connected' && node.summary.activationExpiry && node.summary.status !== 'ACTIVE') this.scheduleChange(node);
    }
  }

  async loadMore(node: LoadMoreNode): Promise<void> {
    const load = this.loads.get(node.parent.id);
    // The guard against double clicks: one page request at a time per region.
    if (!load || load.loadingMore || !load.nextToken) return;
    load.loadingMore = true;
    node.loading = true;
    this.emitter.fire(node);
    try {
      await this.loadPage(node.parent, load);
    } finally {
      load.loadingMore = false;
      node.loading = false;
      this.emitter.fire(node.parent);
    }
  }

  /** The cluster node with this id, if it is loaded (for commands invoked with an id, and tests). */
  findCluster(region: string, name: string): ClusterNode | undefined {
    for (const node of this.clusterNodes.values()) if (node.region === region && node.name === name) return node;
    return undefined;
  }

  clusterLoader(): ClusterLoader {
    this.loader ??= new (loadCore().ClusterLoader)(this.connection.session(), {
      onThrottled: (region) => this.log.debug(`throttled in ${region}; retrying`),
    });
    return this.loader;
  }

  private readonly pendingPages = new Map<string, number>();

  private regionNodes(): RegionNode[] {
    const state = this.state;
    if (state?.kind !== 'ready') return [];
    return this.cachedRegionNodes;
  }

  private cachedRegionNodes: RegionNode[] = [];

  private async rootChildren(): Promise<ExplorerNode[]> {
    if (!this.root) {
      const signal = this.rootAbort.signal;
      this.root = this.connection.resolve(signal).then((state) => {
        if (signal.aborted) return [];
        this.state = state;
        this.stateEmitter.fire(state);
        if (state.kind !== 'ready') {
          this.log.info(`Clusters view state: ${state.kind}`);
          return [];
        }
        // Region nodes keep their identity across full refreshes: commands and cluster nodes may hold them.
        const previous = new Map(this.cachedRegionNodes.map((r) => [r.id, r]));
        this.cachedRegionNodes = state.regions.map((r) => previous.get(`${state.identity.account}:${r.id}`) ?? new RegionNode(state.identity.account, r));
        for (const region of this.cachedRegionNodes) {
          region.loading = false;
          if (region.region.unlisted) this.log.warn(`Region ${region.region.id} is not in this version's list of EKS regions; listing its clusters anyway`);
        }
        const unknown = state.unknownRegions.map((u) => new MessageNode(`unknownRegion:${u.name}`, `Unknown region "${u.name}"`, {
          severity: 'error',
          description: u.suggestion ? `did you mean ${u.suggestion}?` : 'not an EKS region',
          tooltip: `The setting **eksConnector.regions** lists "${u.name}", which is not a region where Amazon EKS is offered.${u.suggestion ? ` Did you mean \`${u.suggestion}\`?` : ''}\n\nClick to open the setting and correct it; the other regions load normally.`,
          command: { command: 'workbench.action.openSettings', title: 'Open Setting', arguments: ['eksConnector.regions'] },
        }));
        return [new AccountNode(state.identity, state.profile), ...this.cachedRegionNodes, ...unknown];
      });
      this.root.catch(() => (this.root = undefined));
    }
    return this.root;
  }

  private async regionChildren(node: RegionNode): Promise<ExplorerNode[]> {
    const load = this.loads.get(node.id) ?? this.startLoad(node);
    if (node.loading && !load.settled) return this.whileLoading(node, load);
    await load.firstPages;
    if (load.abort.signal.aborted) return [];
    return this.childrenOf(node, load);
  }

  /** Starts listing a region's first pages (as many as were loaded before a refresh). */
  private startLoad(node: RegionNode): RegionLoad {
    const load = new RegionLoad();
    this.loads.set(node.id, load);
    const pages = this.pendingPages.get(node.id) ?? 1;
    this.pendingPages.delete(node.id);
    load.firstPages = (async () => {
      for (let i = 0; i < pages && (i === 0 || load.nextToken); i++) await this.loadPage(node, load);
      load.settled = true;
    })();
    return load;
  }

  /** The clusters shown before the refresh, or a loading row where there were none (an error, an empty region). */
  private whileLoading(node: RegionNode, load: RegionLoad): ExplorerNode[] {
    const kept = load.shownWhileLoading.map((name) => this.clusterNodes.get(`${node.account}:${node.region.id}:${name}`)).filter((c) => c !== undefined);
    if (kept.length) return kept;
    return [new MessageNode(`${node.id}:loading`, `Loading clusters in ${node.region.id}…`, { severity: 'loading', parent: node })];
  }

  private childrenOf(node: RegionNode, load: RegionLoad): ExplorerNode[] {
    if (load.error && load.names.length === 0) {
      return [MessageNode.forError(`${node.id}:error`, load.error, { command: 'eksConnector.refreshRegion', title: 'Retry', arguments: [node] }, node)];
    }
    if (load.names.length === 0) {
      return [new MessageNode(`${node.id}:empty`, `No clusters in ${node.region.id}`, {
        severity: 'info',
        tooltip: 'ListClusters (include=all) returned no EKS or connected clusters for this account and region.',
        parent: node,
      })];
    }
    const children: ExplorerNode[] = load.names.map((name) => this.clusterNodes.get(`${node.account}:${node.region.id}:${name}`)!);
    if (load.error) {
      children.push(MessageNode.forError(`${node.id}:pageError`, load.error, { command: 'eksConnector.refreshRegion', title: 'Retry', arguments: [node] }, node));
    } else if (load.nextToken) {
      load.loadMoreNode ??= new LoadMoreNode(node);
      children.push(load.loadMoreNode);
    }
    return children;
  }

  /** Loads the next page of names, then describes them in the background. */
  private async loadPage(node: RegionNode, load: RegionLoad): Promise<void> {
    const region = node.region.id;
    const signal = load.abort.signal;
    const profile = this.connection.session().profile;
    let page;
    try {
      page = await this.clusterLoader().listPage(region, load.nextToken, signal);
    } catch (error) {
      if (isCancellation(error) || signal.aborted) return;
      load.error = describeAwsError(error, { activity: `Listing clusters in ${region}`, region, profile, action: 'eks:ListClusters' });
      this.log.warn(`${load.error.summary}: ${load.error.reason}`);
      return;
    }
    load.error = undefined;
    load.pages++;
    load.nextToken = page.nextToken;
    const fresh: ClusterNode[] = [];
    for (const name of page.names) {
      if (load.names.includes(name)) continue;
      load.names.push(name);
      const id = `${node.account}:${region}:${name}`;
      let cluster = this.clusterNodes.get(id);
      if (!cluster) {
        cluster = new ClusterNode(node.account, region, name, node);
        this.clusterNodes.set(id, cluster);
      }
      cluster.parent = node;
      fresh.push(cluster);
    }
    this.log.debug(`${region}: ${page.names.length} cluster names (page ${load.pages}${page.nextToken ? ', more available' : ''})`);
    load.describing.push(this.describeInto(node, fresh.map((c) => c.name), signal));
  }

  /** Resolves once the region's current load has listed its pages and described every cluster in them. */
  async whenDescribed(node: RegionNode): Promise<void> {
    const load = this.loads.get(node.id);
    await load?.firstPages;
    await Promise.all(load?.describing ?? []);
  }

  /**
   * Describes clusters of a region into their nodes, in the background. `onError` may take a failure over
   * (return true) before it is shown on the node.
   */
  private async describeInto(node: RegionNode, names: string[], signal: AbortSignal, onError?: (error: unknown) => boolean): Promise<void> {
    const region = node.region.id;
    const profile = this.connection.session().profile;
    await this.clusterLoader().describeMany(region, names, signal, (result) => {
      const cluster = this.clusterNodes.get(`${node.account}:${region}:${result.name}`);
      if (!cluster) return;
      if (result.ok) {
        cluster.summary = result.summary;
        cluster.cluster = result.cluster;
        cluster.error = undefined;
      } else if (!isCancellation(result.error)) {
        if (onError?.(result.error)) return;
        cluster.error = describeAwsError(result.error, { activity: `Describing cluster ${result.name} in ${region}`, region, profile, action: 'eks:DescribeCluster' });
        this.log.warn(`${cluster.error.summary}: ${cluster.error.reason}`);
      }
      this.scheduleChange(cluster);
    });
  }

  /** Coalesces per-cluster updates into one tree event every 50 ms. */
  private scheduleChange(node: ExplorerNode): void {
    this.pendingChanges.add(node);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      const nodes = [...this.pendingChanges];
      this.pendingChanges.clear();
      if (nodes.length) this.emitter.fire(nodes);
    }, 50);
  }

  dispose(): void {
    this.rootAbort.abort();
    for (const load of this.loads.values()) load.abort.abort();
    clearTimeout(this.flushTimer);
    this.emitter.dispose();
    this.stateEmitter.dispose();
  }
}

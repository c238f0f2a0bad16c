// The commands on a connected cluster: Deregister, Grant, Revoke and Repair. Each finds the kube context whose cluster
// runs the registration's connector (see ClusterContextResolver) before changing anything there.
import * as vscode from 'vscode';
import { loadCore, type Core } from '../shared/core';
import type { AwsConnection } from '../shared/awsConnection';
import type { Logger } from '../shared/logger';
import { UserFacingError } from '../shared/commands';
import { readConnectorSettings } from '../shared/settings';
import { CONNECTOR_NAMESPACE } from '../core/connector/names';
import { validatePrincipalArn } from '../core/connector/arn';
import type { ContextMemory, ContextQuestion } from '../core/connector/clusterContextResolver';
import type { ClusterTreeProvider } from '../explorer/clusterTreeProvider';
import { ClusterNode, type ExplorerNode } from '../explorer/nodes';

type KubeCluster = InstanceType<Core['KubeCluster']>;
type ConnectorService = InstanceType<Core['ConnectorService']>;
type ConsoleAccessScope = NonNullable<Parameters<ConnectorService['connect']>[0]['callerScope']>;

export class ClusterActions {
  constructor(
    private readonly connection: AwsConnection,
    private readonly tree: ClusterTreeProvider,
    private readonly logger: Logger,
    /** The kube context each cluster was registered (or last found) through, by cluster ARN. */
    private readonly contexts: ContextMemory,
  ) {}

  private get log() {
    return this.logger.scoped('registration');
  }

  private service(kube: KubeCluster | undefined): ConnectorService {
    return new (loadCore().ConnectorService)({ session: this.connection.session(), kube, redactor: this.logger.redactor });
  }

  /** Full read access (the default), or read access limited to namespaces chosen from the cluster. */
  private async pickConsoleScope(kube: KubeCluster, who: string, title: string): Promise<ConsoleAccessScope | undefined> {
    type ScopeItem = vscode.QuickPickItem & { restricted: boolean };
    const scope = await vscode.window.showQuickPick<ScopeItem>([
      { label: '$(eye) Full read access', description: 'nodes, namespaces, pods, events and workloads in every namespace', restricted: false },
      { label: '$(list-filter) Only in chosen namespaces…', description: 'workloads in the namespaces you pick; nodes and namespaces cluster-wide', restricted: true },
    ], { title, placeHolder: `What ${who} can see of this cluster in the EKS console` });
    if (!scope) return undefined;
    if (!scope.restricted) return { kind: 'full' };
    const names = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Listing the namespaces of ${kube.contextName}…`, cancellable: true },
      (_progress, token) => kube.listNamespaceNames(abortOn(token)));
    const chosen = await vscode.window.showQuickPick(names.filter((n) => n !== CONNECTOR_NAMESPACE).map((n) => ({ label: n })), {
      title: `${title}: namespaces`, placeHolder: 'Choose one or more namespaces', canPickMany: true,
    });
    if (!chosen?.length) return undefined;
    return { kind: 'namespaces', namespaces: chosen.map((c) => c.label) };
  }

  /**
   * The kube context whose cluster runs this registration's connector: the remembered one, then the current one;
   * any other only once the user chose it (see ClusterContextResolver). `unresolved` says what was looked at.
   */
  private async contextFor(node: ClusterNode, signal?: AbortSignal): Promise<{ kube?: KubeCluster; registered: boolean; unresolved?: string }> {
    const core = loadCore();
    const loaded = await core.loadKubeconfig();
    const resolver = new core.ClusterContextResolver({
      kubeconfig: { contexts: loaded.contexts, currentContext: loaded.currentContext, open: (name, options) => new core.KubeCluster(core.kubeConfigFor(name, loaded), options) },
      registration: this.service(undefined).aws,
      memory: this.contexts,
    });
    const target = { region: node.region, name: node.name };
    const resolution = await resolver.resolve(target, { signal, ask: (question) => this.askForContexts(question) });
    if (resolution.found) {
      this.log.info(`${node.name}: using kube context ${resolution.context} (${resolution.source})`);
      return { kube: resolution.kube, registered: resolution.cluster !== undefined };
    }
    const unresolved = core.describeUnresolved(target, resolution);
    this.log.info(unresolved);
    return { registered: resolution.cluster !== undefined, unresolved };
  }

  /** Asked before any context but the remembered and the current one is sent a request (with its credentials). */
  private async askForContexts(question: ContextQuestion): Promise<string[] | undefined> {
    const tried = question.tried.map((t) => `${t.context} ${t.outcome.replace(/\.$/, '')}`).join('; ');
    const picks = await vscode.window.showQuickPick(question.untried.map((c) => ({ label: c.name, description: c.server })), {
      title: `Which kube contexts may be tried to find the cluster of ${question.target.name}?`,
      placeHolder: `${tried ? `Not found: ${tried}. ` : ''}Only the contexts you check are sent a request, with their credentials.`,
      canPickMany: true, ignoreFocusOut: true,
    });
    return picks?.map((p) => p.label);
  }

  private connected(node: ExplorerNode | undefined, what: string): ClusterNode {
    if (!(node instanceof ClusterNode) || node.summary?.kind !== 'connected') throw new UserFacingError(`${what} applies to a connected cluster: run it from one in the Clusters view.`);
    return node;
  }

  async deregister(input: ExplorerNode | undefined): Promise<void> {
    const node = this.connected(input, 'Deregister');
    const answer = await vscode.window.showWarningMessage(`Deregister ${node.name} from EKS in ${node.region}?`, {
      modal: true, detail: 'This removes its registration, the connector and its RBAC from the matching kube context, and the agents\' SSM instances. The cluster itself keeps running.',
    }, 'Deregister');
    if (answer !== 'Deregister') return;
    const report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Deregistering ${node.name}`, cancellable: true }, async (progress, token) => {
      const signal = abortOn(token);
      const { kube, registered, unresolved } = await this.contextFor(node, signal);
      if (!kube) progress.report({ message: 'No kube context reaches its cluster: only the AWS side is removed' });
      const done = await this.service(kube).deregister({ region: node.region, name: node.name }, { signal, onProgress: (m) => progress.report({ message: m }), kube: kube !== undefined });
      // A registered cluster runs a connector somewhere: say that it stays there.
      return unresolved && registered ? { ...done, remaining: [...done.remaining, `the connector in its cluster (${unresolved.replace(/\.$/, '')})`] } : done;
    });
    this.tree.refreshRegion(node.parent);
    void this.refreshWhenGone(node);
    this.log.info(`Deregistered ${node.name}: ${report.done.join('; ')}${report.remaining.length ? `; left: ${report.remaining.join('; ')}` : ''}`);
    if (report.remaining.length) throw new UserFacingError(`${node.name} was deregistered, but some things remain: ${report.remaining.join('; ')}.`);
    void vscode.window.showInformationMessage(`${node.name} is deregistered.`);
  }

  /** EKS keeps a deregistered cluster as DELETING for a while; the region is reloaded once it is gone. */
  private async refreshWhenGone(node: ClusterNode): Promise<void> {
    const service = this.service(undefined);
    const deadline = Date.now() + 10 * 60_000;
    for (let delay = 2000; Date.now() < deadline; delay = Math.min(delay * 2, 30_000)) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      // A failed describe (network, throttling) just waits for the next round.
      const cluster = await service.aws.describe(node.region, node.name).catch(() => null);
      if (cluster === undefined) {
        this.tree.refreshRegion(node.parent);
        return;
      }
      if (cluster !== null && cluster.status !== 'DELETING') return;
    }
  }

  async grant(input: ExplorerNode | undefined): Promise<void> {
    const node = this.connected(input, 'Grant Console Access');
    const arn = await vscode.window.showInputBox({
      title: `Console access to ${node.name}`, prompt: 'IAM user or role ARN (an assumed-role session ARN is mapped to its role)',
      validateInput: (value) => { const v = validatePrincipalArn(value); return v.ok ? undefined : `${v.message}${v.hint ? ` ${v.hint}` : ''}`; },
    });
    if (!arn) return;
    const principal = validatePrincipalArn(arn);
    if (!principal.ok) return;
    const kube = await this.withProgressOn(node, 'Finding the kube context', (signal) => this.requireContext(node, signal));
    const scope = await this.pickConsoleScope(kube, principal.value, `Console access to ${node.name}`);
    if (!scope) return;
    await this.withCluster(node, 'Granting console access', (service, signal) => service.grant({ region: node.region, name: node.name }, [{ principalArn: principal.value, scope }], signal), kube);
    const where = scope.kind === 'full' ? '' : ` in ${scope.namespaces.join(', ')}`;
    void vscode.window.showInformationMessage(`${principal.value} can now use the EKS console on ${node.name}${where}.`);
  }

  async revoke(input: ExplorerNode | undefined): Promise<void> {
    const node = this.connected(input, 'Revoke Console Access');
    const status = await this.withCluster(node, 'Reading console access', (service, signal) => service.status({ region: node.region, name: node.name }, signal));
    const pick = await vscode.window.showQuickPick(status.grants.map((g) => ({ label: g.split(' (')[0], description: g.slice(g.indexOf(' (') + 1) })), { title: `Revoke console access to ${node.name}` });
    if (!pick) return;
    await this.withCluster(node, 'Revoking console access', (service, signal) => service.revoke({ region: node.region, name: node.name }, [pick.label], signal));
    void vscode.window.showInformationMessage(`${pick.label} no longer has console access to ${node.name}.`);
  }

  async repair(input: ExplorerNode | undefined): Promise<void> {
    const node = this.connected(input, 'Repair Connector');
    const report = await this.withCluster(node, 'Repairing the connector', (service, signal) => service.repair({ region: node.region, name: node.name }, signal, readConnectorSettings()));
    void vscode.window.showInformationMessage(`Re-applied the connector of ${node.name} (${report.done.length} objects); its activation Secret was kept.`);
  }

  private async withCluster<T>(node: ClusterNode, title: string, run: (service: ConnectorService, signal: AbortSignal) => Promise<T>, known?: KubeCluster): Promise<T> {
    return this.withProgressOn(node, title, async (signal) => run(this.service(known ?? await this.requireContext(node, signal)), signal));
  }

  private withProgressOn<T>(node: ClusterNode, title: string, run: (signal: AbortSignal) => Promise<T>): Thenable<T> {
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `${title} (${node.name})`, cancellable: true }, (_progress, token) => run(abortOn(token)));
  }

  private async requireContext(node: ClusterNode, signal: AbortSignal): Promise<KubeCluster> {
    const { kube, unresolved } = await this.contextFor(node, signal);
    if (!kube) throw new UserFacingError(`${unresolved ?? `No kube context was found for ${node.name}.`} Nothing was changed. Choose the context of its cluster when asked, or add that context to your kubeconfig, then try again.`);
    return kube;
  }
}

function abortOn(token: vscode.CancellationToken): AbortSignal {
  const abort = new AbortController();
  if (token.isCancellationRequested) abort.abort();
  token.onCancellationRequested(() => abort.abort());
  return abort.signal;
}


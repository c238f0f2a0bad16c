// The commands on a connected cluster: Deregister, Grant, Revoke and Repair. Each finds the kube context whose cluster
// runs the registration's connector (see ClusterContextResolver) before changing anything there.
import * as vscode from 'vscode';
import { loadCore, type Core } from '../shared/core';
import type { AwsConnection } from '../shared/awsConnection';
import type { Logger } from '../shared/logger';
import { UserFacingError } from '../shared/commands';
import { readConnectorSettings } from '../shared/settings';
import { CONNECTOR_NAMESPACE } from '../core/connector/names';
import { leftInClusterWithoutContext } from '../core/connector/leftInCluster';
import { canonicalPrincipalArn, validatePrincipalArn } from '../core/connector/arn';
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
    // The context is found first, so the confirmation says what will be removed and what will stay.
    const { kube, registered, unresolved } = await this.withProgressOn(node, 'Finding the kube context', (signal) => this.contextFor(node, signal));
    const left = !kube && registered ? leftInClusterWithoutContext() : [];
    const confirmed = await confirmDeregister(node, kube?.contextName, unresolved, left);
    if (!confirmed) return;
    const outcome = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Deregistering ${node.name}`, cancellable: true }, async (progress, token) => {
      const signal = abortOn(token);
      const done = await this.service(kube).deregister({ region: node.region, name: node.name }, { signal, onProgress: (m) => progress.report({ message: m }), kube: kube !== undefined });
      // Said once: why nothing in the cluster was removed, then each thing left there.
      const why = `in its cluster, since no kube context reached it${unresolved ? ` (${unresolved.replace(/\.$/, '')})` : ''}`;
      const report = left.length ? { ...done, remaining: [...done.remaining, `${why}: ${left.join('; ')}`] } : done;
      progress.report({ message: 'waiting for EKS to finish deleting the registration' });
      return { report, status: await this.waitUntilGone(node, signal) };
    });
    const { report, status } = outcome;
    this.tree.refreshRegion(node.parent);
    if (status !== 'gone') void this.refreshWhenGone(node);
    this.log.info(`Deregistered ${node.name}: ${report.done.join('; ')}${report.remaining.length ? `; left: ${report.remaining.join('; ')}` : ''}`);
    const still = status === 'gone' ? '' : ` EKS is still deleting the registration (${status}); the Clusters view updates when it is gone.`;
    if (report.remaining.length) throw new UserFacingError(`${node.name} was deregistered from EKS, but some things remain: ${report.remaining.join('; ')}.${still}`);
    const text = status === 'gone' ? `${node.name} is deregistered.` : `${node.name} is deregistered.${still}`;
    const saved = await savedManifests(node.name);
    if (saved.length === 0) {
      void vscode.window.showInformationMessage(text);
      return;
    }
    // The saved manifests describe a connector that no longer exists: offered for removal, never removed unasked.
    const remove = 'Delete Saved Manifests';
    const choice = await vscode.window.showInformationMessage(`${text} Its saved manifests are still in the workspace: ${saved.map((u) => vscode.workspace.asRelativePath(u)).join(', ')}.`, remove);
    if (choice === remove) await Promise.all(saved.map((u) => vscode.workspace.fs.delete(u)));
  }

  /** Waits (up to two minutes) for EKS to drop the registration: 'gone', or the status it still has. */
  private async waitUntilGone(node: ClusterNode, signal: AbortSignal): Promise<string> {
    const aws = this.service(undefined).aws;
    const deadline = Date.now() + 120_000;
    let status = 'DELETING';
    for (let delay = 1000; Date.now() < deadline && !signal.aborted; delay = Math.min(delay * 2, 10_000)) {
      const cluster = await aws.describe(node.region, node.name, signal).catch(() => null);
      if (cluster === undefined) return 'gone';
      if (cluster) status = cluster.status ?? status;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
    return status;
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
    const account = node.account;
    const arn = await vscode.window.showInputBox({
      title: `Console access to ${node.name}`, prompt: 'IAM user or role ARN (an assumed-role session ARN is mapped to its role)',
      placeHolder: `arn:aws:iam::${/^\d{12}$/.test(account) ? account : '111122223333'}:role/ReadOnly`,
      validateInput: (value) => {
        const v = validatePrincipalArn(value);
        if (!v.ok) return `${v.message}${v.hint ? ` ${v.hint}` : ''}`;
        const other = principalAccount(v.value);
        // Allowed (cross-account console users exist), but said before it is applied.
        return other && other !== account ? { message: `This ARN is in account ${other}, not ${account} where ${node.name} is registered: that principal must sign in to the console of account ${account} to see it.`, severity: vscode.InputBoxValidationSeverity.Warning } : undefined;
      },
    });
    if (!arn) return;
    const principal = validatePrincipalArn(arn);
    if (!principal.ok) return;
    const kube = await this.withProgressOn(node, 'Finding the kube context', (signal) => this.requireContext(node, signal));
    const scope = await this.pickConsoleScope(kube, principal.value, `Console access to ${node.name}`);
    if (!scope) return;
    await this.withTakeOver(node, (force) => this.withCluster(node, 'Granting console access', (service, signal) => service.grant({ region: node.region, name: node.name }, [{ principalArn: principal.value, scope }], signal, { forceConflicts: force }), kube));
    const where = scope.kind === 'full' ? '' : ` in ${scope.namespaces.join(', ')}`;
    void vscode.window.showInformationMessage(`${principal.value} can now use the EKS console on ${node.name}${where}.${await outOfDate(node.name)}`);
  }

  async revoke(input: ExplorerNode | undefined): Promise<void> {
    const node = this.connected(input, 'Revoke Console Access');
    const kube = await this.withProgressOn(node, 'Finding the kube context', (signal) => this.requireContext(node, signal));
    const status = await this.withCluster(node, 'Reading console access', (service, signal) => service.status({ region: node.region, name: node.name }, signal), kube);
    if (status.grantsError) throw new UserFacingError(`The console access of ${node.name} could not be read through kube context ${kube.contextName}: ${status.grantsError} Nothing was changed.`);
    if (status.grants.length === 0) throw new UserFacingError(`Nobody has console access to ${node.name} through this extension's RBAC in kube context ${kube.contextName}. Nothing was changed.`);
    const me = await this.connection.session().callerIdentity(node.region).then((id) => canonicalPrincipalArn(id.arn), () => undefined);
    const pick = await vscode.window.showQuickPick(status.grants.map((g) => ({
      label: g.principalArn,
      description: `${g.principalArn === me ? '(you) · ' : ''}${g.scope.kind === 'full' ? 'full access' : `namespaces ${g.scope.namespaces.join(', ')}`}`,
      grant: g,
    })), { title: `Revoke console access to ${node.name}`, placeHolder: 'Choose whose EKS console access to remove (the connector stops impersonating them)' });
    if (!pick) return;
    if (pick.grant.principalArn === me) {
      const answer = await vscode.window.showWarningMessage(`Revoke your own console access to ${node.name}?`, {
        modal: true, detail: `${me} is the identity you are signed in with: the EKS console will no longer show the workloads of ${node.name} to you. Someone else with access to kube context ${kube.contextName} can grant it again.`,
      }, 'Revoke My Access');
      if (answer !== 'Revoke My Access') return;
    }
    await this.withCluster(node, 'Revoking console access', (service, signal) => service.revoke({ region: node.region, name: node.name }, [pick.grant.principalArn], signal), kube);
    void vscode.window.showInformationMessage(`${pick.grant.principalArn} no longer has console access to ${node.name}.${await outOfDate(node.name)}`);
  }

  async repair(input: ExplorerNode | undefined): Promise<void> {
    const node = this.connected(input, 'Repair Connector');
    const report = await this.withTakeOver(node, (force) => this.withCluster(node, 'Repairing the connector', (service, signal) => service.repair({ region: node.region, name: node.name }, signal, readConnectorSettings(), { forceConflicts: force })));
    void vscode.window.showInformationMessage(`${repairSummary(node.name, report.done)}${await outOfDate(node.name)}`);
  }

  /**
   * Runs `run`; when it stops at fields another field manager owns, shows which fields of which object would change
   * hands and from whom, and runs it again with force only if the user takes them over.
   */
  private async withTakeOver<T>(node: ClusterNode, run: (force: boolean) => Promise<T>): Promise<T> {
    try {
      return await run(false);
    } catch (error) {
      const conflict = (error as { conflict?: { object: string; fields: ReadonlyArray<{ manager: string; field: string }> } }).conflict;
      if (!conflict) throw error;
      const answer = await vscode.window.showWarningMessage(`Take over ${conflict.fields.length === 1 ? 'a field' : `${conflict.fields.length} fields`} of ${conflict.object} on ${node.name}?`, {
        modal: true,
        detail: [
          `Another tool manages ${conflict.fields.length === 1 ? 'this field' : 'these fields'}; nothing was changed there. Taking over moves them to eks-connector-vscode:`,
          ...conflict.fields.map((f) => `• ${f.field}: from "${f.manager}" to eks-connector-vscode`),
          `The other way out: change them where ${[...new Set(conflict.fields.map((f) => `"${f.manager}"`))].join(', ')} sets them (its configuration or the source it syncs from). A tool that keeps syncing may set them back.`,
        ].join('\n'),
      }, 'Take Over Fields');
      if (answer !== 'Take Over Fields') throw error;
      return run(true);
    }
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

/**
 * The confirmation, as a pick whose first (focused) item is Cancel: Enter or Escape never deregisters. It names the
 * kube context that will be cleaned, or lists what stays in the cluster when none reaches it.
 */
async function confirmDeregister(node: ClusterNode, context: string | undefined, unresolved: string | undefined, left: readonly string[]): Promise<boolean> {
  type Item = vscode.QuickPickItem & { confirm?: boolean };
  const items: Item[] = [
    { label: '$(close) Cancel', description: 'keep the registration' },
    context
      ? { label: `$(trash) Deregister ${node.name}`, description: `removes the connector and its RBAC through kube context ${context}`, detail: 'Also removes the registration and the agents\' SSM instances. The cluster itself keeps running.', confirm: true }
      : { label: `$(trash) Deregister ${node.name} from AWS only`, description: left.length ? 'the connector keeps running in the cluster' : undefined, detail: 'Removes the registration and the agents\' SSM instances; nothing in the cluster is changed.', confirm: true },
  ];
  if (left.length) {
    items.push({ label: `Stays in the cluster (${unresolved ?? 'no kube context reaches it'})`, kind: vscode.QuickPickItemKind.Separator });
    items.push(...left.map((l) => ({ label: `$(warning) ${l}` })));
  }
  const pick = await vscode.window.showQuickPick(items, {
    title: `Deregister ${node.name} from EKS in ${node.region}?`,
    placeHolder: context ? `Kube context ${context} reaches its cluster: the connector is removed there.` : 'No kube context reaches its cluster: what is listed below keeps running there.',
    ignoreFocusOut: true,
  });
  return pick?.confirm === true;
}

/** The account of an IAM principal ARN (arn:aws:iam::<account>:…), if it has one. */
function principalAccount(arn: string): string | undefined {
  return /^arn:[^:]+:(?:iam|sts)::(\d{12}):/.exec(arn)?.[1];
}

/** What Repair found wrong (a missing or changed object) and what it did about it, from the apply report. */
function repairSummary(name: string, done: readonly string[]): string {
  const created = done.filter((d) => d.startsWith('created ')).map((d) => d.slice('created '.length));
  const updated = done.filter((d) => d.startsWith('updated ')).map((d) => d.slice('updated '.length));
  const fine = done.length - created.length - updated.length;
  if (created.length + updated.length === 0) return `Nothing was wrong with the connector of ${name}: its ${fine} objects were as expected and were left unchanged.`;
  const fixed = [
    ...created.map((o) => `${o} was missing and was recreated`),
    ...updated.map((o) => `${o} differed and was restored`),
  ];
  return `Repaired the connector of ${name}: ${fixed.join('; ')}. ${fine} other objects were as expected; its activation Secret was kept.`;
}

/** The manifests Register saved for this cluster (eks-connector/<name>.yaml in a workspace folder), if any. */
async function savedManifests(name: string): Promise<vscode.Uri[]> {
  const candidates = (vscode.workspace.workspaceFolders ?? []).map((f) => vscode.Uri.joinPath(f.uri, 'eks-connector', `${name}.yaml`));
  const found = await Promise.all(candidates.map((u) => vscode.workspace.fs.stat(u).then(() => u, () => undefined)));
  return found.filter((u): u is vscode.Uri => u !== undefined);
}

/** " The saved manifests … no longer match …" when the workspace holds some for this cluster, else "". */
async function outOfDate(name: string): Promise<string> {
  const saved = await savedManifests(name);
  if (saved.length === 0) return '';
  return ` The saved manifests ${saved.map((u) => vscode.workspace.asRelativePath(u)).join(', ')} no longer match the cluster (they show the access and objects from when they were saved): save them again or update them in your repository.`;
}

// The guided "Register Current Kube Context" command and the commands on connected clusters (deregister, grant,
// revoke, repair). Every choice is validated as it is made; nothing changes until the checklist passes and the user
// confirms; a failure after RegisterCluster rolls back unless the user chooses to keep what was made.
import * as vscode from 'vscode';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { loadCore, type Core } from '../shared/core';
import type { AwsConnection } from '../shared/awsConnection';
import type { Logger } from '../shared/logger';
import { UserFacingError } from '../shared/commands';
import { readConnectorSettings, readExplorerSettings } from '../shared/settings';
import { EKS_REGIONS } from '../core/aws/regions';
import { describeAwsError, formatDescribedError } from '../core/aws/errors';
import { CONNECTOR_PROVIDERS, suggestClusterName, validateClusterName, CONNECTOR_NAMESPACE } from '../core/connector/names';
import { validatePrincipalArn } from '../core/connector/arn';
import type { ContextMemory, ContextQuestion } from '../core/connector/clusterContextResolver';
import { rollbackDialogText } from './rollbackDialog';
import type { ClusterTreeProvider } from '../explorer/clusterTreeProvider';
import { ClusterNode, RegionNode, type ExplorerNode } from '../explorer/nodes';

type KubeCluster = InstanceType<Core['KubeCluster']>;
type ConnectorService = InstanceType<Core['ConnectorService']>;
type ConnectorCheck = Awaited<ReturnType<ConnectorService['check']>>['checks'][number];
type ConsoleAccessScope = NonNullable<Parameters<ConnectorService['connect']>[0]['callerScope']>;

export class RegistrationCommands {
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

  /** Context → region → name → provider → role → checklist → connect. */
  async registerCurrentContext(node?: ExplorerNode): Promise<void> {
    const core = loadCore();
    const loaded = await core.loadKubeconfig();
    const blocking = loaded.problems.filter((p) => p.severity === 'error');
    if (loaded.contexts.length === 0) {
      throw new UserFacingError(`No kubeconfig context was found${blocking.length ? `: ${blocking.map((p) => `${p.message} ${p.fix}`).join(' ')}` : ' (KUBECONFIG or ~/.kube/config)'}.`);
    }
    const contextPick = await vscode.window.showQuickPick(
      [...loaded.contexts].sort((a, b) => (a.name === loaded.currentContext ? -1 : b.name === loaded.currentContext ? 1 : a.name.localeCompare(b.name))).map((c) => ({
        label: c.name,
        description: [c.name === loaded.currentContext ? 'current' : undefined, c.server].filter(Boolean).join(' · '),
        detail: c.usable ? c.file : `Cannot be used: ${loaded.problems.find((p) => p.context === c.name)?.message ?? 'see the log'}`,
        context: c,
      })),
      { title: 'Register with EKS (1/6): kube context', placeHolder: 'The cluster behind this context is registered and gets the connector' },
    );
    if (!contextPick) return;
    let kubeConfig;
    try {
      kubeConfig = core.kubeConfigFor(contextPick.label, loaded);
    } catch (error) {
      throw new UserFacingError((error as Error).message);
    }
    const kube = new core.KubeCluster(kubeConfig);

    const regionHint = node instanceof RegionNode ? node.region.id : readExplorerSettings().regions[0];
    const regionPick = await vscode.window.showQuickPick(
      EKS_REGIONS.filter((r) => r.connectorSupported).map((r) => ({ label: r.id, description: r.name, picked: r.id === regionHint })).sort((a, b) => (a.label === regionHint ? -1 : b.label === regionHint ? 1 : 0)),
      { title: 'Register with EKS (2/6): region', placeHolder: 'China and GovCloud regions do not offer the EKS Connector' },
    );
    if (!regionPick) return;
    const region = regionPick.label;

    const service = this.service(kube);
    const name = await vscode.window.showInputBox({
      title: 'Register with EKS (3/6): cluster name in EKS',
      value: suggestClusterName(contextPick.label),
      validateInput: async (value) => {
        const valid = validateClusterName(value);
        if (!valid.ok) return `${valid.message}${valid.hint ? ` ${valid.hint}` : ''}`;
        const existing = await service.aws.describe(region, valid.value).catch(() => undefined);
        return existing ? `${valid.value} is already taken in ${region} (${existing.connectorConfig ? 'connected' : 'EKS'} cluster, ${existing.status}).` : undefined;
      },
    });
    if (!name) return;

    const detected = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Looking at ${contextPick.label} to tell its provider…` },
      () => core.detectProvider(kube).catch(() => ({ provider: 'OTHER' as const, evidence: 'detection failed' })));
    const providerPick = await vscode.window.showQuickPick(
      CONNECTOR_PROVIDERS.map((p) => ({ label: p.value, description: p.label, detail: p.value === detected.provider ? `Detected: ${detected.evidence}` : undefined })).sort((a, b) => (a.label === detected.provider ? -1 : b.label === detected.provider ? 1 : 0)),
      { title: 'Register with EKS (4/6): provider', placeHolder: `Detected ${detected.provider} (${detected.evidence})` },
    );
    if (!providerPick) return;

    const roles = new core.AgentRoleService(this.connection.session());
    const candidates = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Listing IAM roles that trust ssm.amazonaws.com…' },
      () => roles.listCandidates(region).catch((error: unknown) => {
        this.log.warn(`Listing roles failed: ${formatDescribedError(describeAwsError(error, { activity: 'Listing IAM roles', action: 'iam:ListRoles' }))}`);
        return [];
      }));
    type RoleItem = vscode.QuickPickItem & { arn?: string; create?: string };
    const roleItems: RoleItem[] = [
      ...candidates.map((r) => ({ label: r.name, description: r.arn, arn: r.arn })),
      { label: `$(add) Create ${candidates.some((r) => r.name === core.DEFAULT_AGENT_ROLE_NAME) ? `${core.DEFAULT_AGENT_ROLE_NAME}-${name}` : core.DEFAULT_AGENT_ROLE_NAME}`, description: 'a new role with the documented trust and policy', create: candidates.some((r) => r.name === core.DEFAULT_AGENT_ROLE_NAME) ? `${core.DEFAULT_AGENT_ROLE_NAME}-${name}`.slice(0, 64) : core.DEFAULT_AGENT_ROLE_NAME },
    ];
    const rolePick = await vscode.window.showQuickPick(roleItems, { title: 'Register with EKS (5/6): connector agent IAM role', placeHolder: 'The role the connector agent uses; it must trust ssm.amazonaws.com' });
    if (!rolePick) return;

    const callerScope = await this.pickConsoleScope(kube, 'you (the identity registering it)', 'Register with EKS (6/6): your console access');
    if (!callerScope) return;

    const install = readConnectorSettings();
    for (const warning of install.warnings) this.log.warn(warning);
    const plan = {
      region, name, provider: providerPick.label,
      role: rolePick.create ? { kind: 'create' as const, name: rolePick.create } : { kind: 'existing' as const, arn: rolePick.arn! },
      grants: [], callerScope, nodeSelector: install.nodeSelector, images: install.images,
    };
    const report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Checking ${name} and ${contextPick.label}…`, cancellable: true },
      (_progress, token) => service.check(plan, abortOn(token)));
    this.log.info(`Pre-flight for ${name} in ${region} (${contextPick.label}): ${report.checks.map((c) => `${c.status} ${c.id}`).join(', ')}`);
    if (!(await this.confirmChecklist(report.checks, report.ok, name, region))) return;

    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Connecting ${name}`, cancellable: true }, async (progress, token) => {
      try {
        return await service.connect(plan, {
          signal: abortOn(token),
          onProgress: (p) => {
            this.log.info(`[${p.step}] ${p.message}`);
            progress.report({ message: p.activationExpiry ? `${p.message} (activation expires ${p.activationExpiry.toLocaleString()})` : p.message });
          },
          onFailure: async (error, created) => {
            const text = rollbackDialogText(name, error, created, this.logger.redactor);
            const choice = await vscode.window.showErrorMessage(text.message, { modal: true, detail: text.detail }, 'Roll Back', 'Keep');
            return choice === 'Keep' ? 'keep' : 'rollback';
          },
        });
      } finally {
        this.tree.refreshAll();
      }
    });
    // Grant, Revoke, Repair and Deregister look for the cluster through this context first.
    if (result.cluster.arn) await this.contexts.remember(result.cluster.arn, contextPick.label);
    const save = await vscode.window.showInformationMessage(`${name} is ${result.cluster.status} in ${region}.`, 'Save Manifests to Workspace');
    if (save) await this.saveManifests(name, result.manifestYaml);
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

  private async confirmChecklist(checks: readonly ConnectorCheck[], ok: boolean, name: string, region: string): Promise<boolean> {
    const icon = { pass: '$(pass)', warn: '$(warning)', fail: '$(error)' } as const;
    type Item = vscode.QuickPickItem & { go?: boolean };
    const items: Item[] = [
      ok ? { label: `$(rocket) Connect ${name} to EKS in ${region}`, description: 'register, apply the connector, wait for ACTIVE', go: true } : { label: '$(close) Close', description: 'fix the failed checks, then run the command again' },
      { label: 'Checks', kind: vscode.QuickPickItemKind.Separator },
      ...checks.map((c) => ({ label: `${icon[c.status]} ${c.title}`, description: c.reason, detail: c.status === 'pass' ? c.details?.join(' · ') : [c.fix, ...(c.details ?? [])].filter(Boolean).join(' · ') })),
    ];
    const pick = await vscode.window.showQuickPick(items, {
      title: ok ? 'Pre-flight passed' : `Pre-flight: ${checks.filter((c) => c.status === 'fail').length} check(s) failed — nothing was changed`,
      matchOnDescription: true, matchOnDetail: true,
    });
    return pick?.go === true;
  }

  /** Writes the non-secret manifests (never the activation Secret) to the workspace, for GitOps. */
  private async saveManifests(name: string, yaml: string): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) throw new UserFacingError('Open a folder to save the manifests into.');
    const file = path.join(folder.uri.fsPath, 'eks-connector', `${name}.yaml`);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, `# EKS Connector for ${name}, without the activation Secret (it is single-use and stays in the cluster).\n${yaml}`);
    await vscode.window.showTextDocument(vscode.Uri.file(file));
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


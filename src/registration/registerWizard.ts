// The guided "Register Kube Context with EKS" command: context → region → name → provider → role → console access →
// checklist → connect. Every choice is validated as it is made; nothing changes until the checklist passes and the
// user confirms; a failure after RegisterCluster rolls back unless the user chooses to keep what was made.
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
import type { ContextMemory } from '../core/connector/clusterContextResolver';
import { rollbackDialogText } from './rollbackDialog';
import type { ClusterTreeProvider } from '../explorer/clusterTreeProvider';
import { RegionNode, type ExplorerNode } from '../explorer/nodes';

type KubeCluster = InstanceType<Core['KubeCluster']>;
type ConnectorService = InstanceType<Core['ConnectorService']>;
type ConnectorCheck = Awaited<ReturnType<ConnectorService['check']>>['checks'][number];
type ConsoleAccessScope = NonNullable<Parameters<ConnectorService['connect']>[0]['callerScope']>;

export class RegisterWizard {
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
  async run(node?: ExplorerNode): Promise<void> {
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
      { title: 'Register with EKS (4/6): provider', placeHolder: `Detected ${detected.provider}: ${detected.evidence}` },
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

  private async confirmChecklist(checks: readonly ConnectorCheck[], ok: boolean, name: string, region: string): Promise<boolean> {
    const icon = { pass: '$(pass)', warn: '$(warning)', fail: '$(error)' } as const;
    type Item = vscode.QuickPickItem & { go?: boolean };
    const items: Item[] = [
      ok ? { label: `$(rocket) Connect ${name} to EKS in ${region}`, description: 'register, apply the connector, wait for ACTIVE', go: true } : { label: '$(close) Close', description: 'fix the failed checks, then run the command again' },
      { label: 'Checks', kind: vscode.QuickPickItemKind.Separator },
      ...checks.map((c) => ({ label: `${icon[c.status]} ${c.title}`, description: c.reason, detail: c.status === 'pass' ? c.details?.join(' · ') : [c.fix, ...(c.details ?? [])].filter(Boolean).join(' · ') })),
    ];
    const pick = await vscode.window.showQuickPick(items, {
      title: ok ? 'Pre-flight passed' : `Pre-flight: ${countOf(checks.filter((c) => c.status === 'fail').length, 'check')} failed — nothing was changed`,
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
}

function abortOn(token: vscode.CancellationToken): AbortSignal {
  const abort = new AbortController();
  if (token.isCancellationRequested) abort.abort();
  token.onCancellationRequested(() => abort.abort());
  return abort.signal;
}

/** "1 check", "2 checks". */
function countOf(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

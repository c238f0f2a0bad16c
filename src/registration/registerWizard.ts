// The guided "Register Kube Context with EKS" command: context → region → name → provider → role → console access →
// checklist → connect. Every choice is validated as it is made; nothing changes until the checklist passes and the
// user confirms; a failure after RegisterCluster rolls back unless the user chooses to keep what was made.
import * as vscode from 'vscode';
import { promises as fs } from 'node:fs';
import os from 'node:os';
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
import { BACK, inputStep, pickStep, type StepPosition, type StepResult } from './multiStepInput';
import { isCancellation } from '../core/util/abort';
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

  /**
   * Context → (rights) → region → name → provider → role → console access → checklist → connect. One quick input
   * with Back on every step, keeping what was entered; Escape closes it.
   */
  async run(node?: ExplorerNode): Promise<void> {
    const core = loadCore();
    const loaded = await core.loadKubeconfig();
    const blocking = loaded.problems.filter((p) => p.severity === 'error');
    if (loaded.contexts.length === 0) {
      throw new UserFacingError(`No kubeconfig context was found${blocking.length ? `: ${blocking.map((p) => `${p.message} ${p.fix}`).join(' ')}` : ' (KUBECONFIG or ~/.kube/config)'}.`);
    }
    const shownRegions = readExplorerSettings().regions;
    const regionHint = node instanceof RegionNode ? node.region.id : shownRegions[0];
    const at = (step: number) => ({ title: 'Register with EKS', step, totalSteps: 6 });
    const answers: { context?: string; region?: string; name?: string; provider?: string; role?: RoleItem; scope?: ConsoleAccessScope; handoff?: boolean } = {};
    let kube: KubeCluster | undefined;
    let service: ConnectorService | undefined;
    let detected: { provider: string; evidence: string } | undefined;
    let candidates: Array<{ name: string; arn: string }> | undefined;
    type RoleItem = vscode.QuickPickItem & { arn?: string; create?: string };

    for (let step = 1; step <= 6;) {
      let result: unknown;
      if (step === 1) {
        const items = [...loaded.contexts].sort((a, b) => (a.name === loaded.currentContext ? -1 : b.name === loaded.currentContext ? 1 : a.name.localeCompare(b.name))).map((c) => ({
          label: c.name,
          description: [c.name === loaded.currentContext ? 'current' : undefined, c.server].filter(Boolean).join(' · '),
          detail: c.usable ? c.file : `Cannot be used: ${loaded.problems.find((p) => p.context === c.name)?.message ?? 'see the log'}`,
        }));
        const picked = await pickStep(at(1), items, { placeholder: 'The cluster behind this context is registered and gets the connector', active: (i) => i.label === answers.context });
        if (picked !== BACK && picked?.length) {
          if (picked[0].label !== answers.context || !kube) {
            try {
              kube = new core.KubeCluster(core.kubeConfigFor(picked[0].label, loaded));
            } catch (error) {
              throw new UserFacingError((error as Error).message);
            }
            service = this.service(kube);
            detected = undefined;
            answers.context = picked[0].label;
            const rights = await this.checkRights(service, kube, regionHint ?? 'us-west-2', suggestClusterName(picked[0].label));
            if (rights === undefined) return;
            answers.handoff = rights === 'handoff';
          }
          result = picked;
        } else result = picked;
      } else if (step === 2) {
        const regions = EKS_REGIONS.filter((r) => r.connectorSupported);
        const rank = (id: string) => (shownRegions.includes(id) ? shownRegions.indexOf(id) : shownRegions.length);
        const items = [...regions].sort((a, b) => rank(a.id) - rank(b.id)).map((r) => ({ label: r.id, description: shownRegions.includes(r.id) ? `${r.name} · in the Clusters view` : r.name }));
        const picked = await pickStep(at(2), items, { placeholder: 'China and GovCloud regions do not offer the EKS Connector', active: (i) => i.label === (answers.region ?? regionHint) });
        if (picked !== BACK && picked?.length) answers.region = picked[0].label;
        result = picked;
      } else if (step === 3) {
        const region = answers.region!;
        const svc = service!;
        result = await inputStep(at(3), {
          value: answers.name ?? suggestClusterName(answers.context!), prompt: `The cluster's name in EKS (${region})`,
          validate: (value) => {
            const valid = validateClusterName(value);
            return valid.ok ? undefined : `${valid.message}${valid.hint ? ` ${valid.hint}` : ''}`;
          },
          check: async (value) => {
            const name = value.trim();
            try {
              const existing = await svc.aws.describe(region, name);
              return existing ? { severity: 'error', message: `${name} is already taken in ${region} (${existing.connectorConfig ? 'connected' : 'EKS'} cluster, ${existing.status}).` } : undefined;
            } catch (error) {
              const d = describeAwsError(error, { activity: `Looking up ${name}`, region, action: 'eks:DescribeCluster' });
              return { severity: 'warning', message: `Could not check whether ${name} is free: ${d.reason} The checklist checks it again.` };
            }
          },
        });
        if (typeof result === 'string') answers.name = result.trim();
      } else if (step === 4) {
        detected ??= await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Looking at ${answers.context} to tell its provider…` },
          () => core.detectProvider(kube!).catch(() => ({ provider: 'OTHER' as const, evidence: 'detection failed' })));
        const found = detected;
        const items = CONNECTOR_PROVIDERS.map((p) => ({ label: p.value, description: p.label, detail: p.value === found.provider ? `Detected: ${found.evidence}` : undefined })).sort((a, b) => (a.label === found.provider ? -1 : b.label === found.provider ? 1 : 0));
        const picked = await pickStep(at(4), items, { placeholder: `Detected ${found.provider}: ${found.evidence}`, active: (i) => i.label === (answers.provider ?? found.provider) });
        if (picked !== BACK && picked?.length) answers.provider = picked[0].label;
        result = picked;
      } else if (step === 5) {
        const roles = new core.AgentRoleService(this.connection.session());
        candidates ??= await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Listing IAM roles that trust ssm.amazonaws.com…' },
          () => roles.listCandidates(answers.region!).catch((error: unknown) => {
            this.log.warn(`Listing roles failed: ${formatDescribedError(describeAwsError(error, { activity: 'Listing IAM roles', action: 'iam:ListRoles' }))}`);
            return [];
          }));
        const taken = candidates.some((r) => r.name === core.DEFAULT_AGENT_ROLE_NAME);
        const createName = taken ? `${core.DEFAULT_AGENT_ROLE_NAME}-${answers.name}`.slice(0, 64) : core.DEFAULT_AGENT_ROLE_NAME;
        const items: RoleItem[] = [
          ...candidates.map((r) => ({ label: r.name, description: r.arn, arn: r.arn })),
          { label: `$(add) Create ${createName}`, description: 'a new role with the documented trust and policy', create: createName },
        ];
        const picked = await pickStep(at(5), items, { placeholder: 'The role the connector agent uses; it must trust ssm.amazonaws.com', active: (i) => i.label === answers.role?.label });
        if (picked !== BACK && picked?.length) answers.role = picked[0];
        result = picked;
      } else {
        const scope = await this.pickConsoleScope(kube!, 'you (the identity registering it)', at(6), answers.handoff === true);
        if (scope !== BACK && scope) answers.scope = scope;
        result = scope;
      }
      if (result === BACK) step -= 1;
      else if (result === undefined || (Array.isArray(result) && result.length === 0)) return;
      else step += 1;
    }

    const name = answers.name!;
    const region = answers.region!;
    const contextName = answers.context!;
    const install = readConnectorSettings();
    for (const warning of install.warnings) this.log.warn(warning);
    const plan = {
      region, name, provider: answers.provider!,
      role: answers.role!.create ? { kind: 'create' as const, name: answers.role!.create } : { kind: 'existing' as const, arn: answers.role!.arn! },
      grants: [], callerScope: answers.scope, nodeSelector: install.nodeSelector, images: install.images, searchRegions: shownRegions,
    };
    if (answers.handoff) return this.handOff(service!, plan);
    const report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Checking ${name} and ${contextName}…`, cancellable: true },
      (_progress, token) => service!.check(plan, abortOn(token)));
    this.log.info(`Pre-flight for ${name} in ${region} (${contextName}): ${report.checks.map((c) => `${c.status} ${c.id}`).join(', ')}`);
    if (!(await this.confirmChecklist(report.checks, report.ok, name, region))) return;

    let cancelled = false;
    let kept = false;
    let result;
    try {
      result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Connecting ${name}`, cancellable: true }, async (progress, token) => {
        token.onCancellationRequested(() => (cancelled = true));
        try {
          return await service!.connect(plan, {
            signal: abortOn(token), confirmed: report,
            onProgress: (p) => {
              this.log.info(`[${p.step}] ${p.message}`);
              progress.report({ message: p.activationExpiry ? `${p.message} (activation expires ${p.activationExpiry.toLocaleString()})` : p.message });
            },
            onFailure: async (error, created) => {
              const text = rollbackDialogText(name, error, created, this.logger.redactor);
              const show = isCancellation(error) ? vscode.window.showWarningMessage : vscode.window.showErrorMessage;
              // Roll Back is the safe answer, so it is also what closing the dialog means (no separate Cancel).
              const choice = await show(text.message, { modal: true, detail: text.detail }, { title: 'Roll Back', isCloseAffordance: true }, { title: 'Keep' });
              kept = choice?.title === 'Keep';
              return kept ? 'keep' : 'rollback';
            },
          });
        } finally {
          this.tree.refreshAll();
        }
      });
    } catch (error) {
      if (!cancelled) throw error;
      const what = error instanceof Error ? error.message.replace(/^Cancelled\.\s*/, '') : '';
      if (kept) void this.announceWhenActive(service!, plan.region, name);
      void vscode.window.showInformationMessage(this.logger.redactor.redact(`Connecting ${name} was cancelled.${what ? ` ${what}` : ''}${kept ? ` You will be told when ${name} becomes ACTIVE.` : ''}`));
      return;
    }
    // Grant, Revoke, Repair and Deregister look for the cluster through this context first.
    if (result.cluster.arn) await this.contexts.remember(result.cluster.arn, contextName);
    const save = await vscode.window.showInformationMessage(`${name} is ${result.cluster.status} in ${region}.`, 'Save Manifests to Workspace');
    if (save) await this.saveManifests(name, result.manifestYaml);
  }

  /** A connect kept after a cancel goes on by itself (the agent connects): the user hears when it is ACTIVE. */
  private async announceWhenActive(service: ConnectorService, region: string, name: string): Promise<void> {
    try {
      const cluster = await service.aws.waitForStatus(region, name, { until: ['ACTIVE'], failOn: ['FAILED'], intervalMs: 5000, timeoutMs: 30 * 60_000 });
      this.tree.refreshAll();
      if (cluster) void vscode.window.showInformationMessage(`${name}, kept after the cancelled connect, is now ACTIVE in ${region}.`);
    } catch (error) {
      void vscode.window.showWarningMessage(`${name}, kept after the cancelled connect, did not become ACTIVE in ${region}: ${(error as Error).message} Repair or deregister it from the Clusters view.`);
    }
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
  private async pickConsoleScope(kube: KubeCluster, who: string, position: StepPosition, handoff: boolean): Promise<StepResult<ConsoleAccessScope>> {
    type ScopeItem = vscode.QuickPickItem & { restricted: boolean };
    for (;;) {
      const scope = await pickStep<ScopeItem>(position, [
        { label: '$(eye) Full read access', description: 'nodes, namespaces, pods, events and workloads in every namespace', restricted: false },
        { label: '$(list-filter) Only in chosen namespaces…', description: 'workloads in the namespaces you pick; nodes and namespaces cluster-wide', restricted: true },
      ], { placeholder: `What ${who} can see of this cluster in the EKS console${handoff ? ' (then: register in AWS and hand the installation to an administrator)' : ''}` });
      if (scope === BACK) return BACK;
      if (!scope?.length) return undefined;
      if (!scope[0].restricted) return { kind: 'full' };
      const names = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Listing the namespaces of ${kube.contextName}…`, cancellable: true },
        (_progress, token) => kube.listNamespaceNames(abortOn(token)));
      const chosen = await pickStep(position, names.filter((n) => n !== CONNECTOR_NAMESPACE).map((n) => ({ label: n })), { placeholder: 'Choose one or more namespaces', canPickMany: true });
      if (chosen === BACK) continue;
      if (!chosen?.length) return undefined;
      return { kind: 'namespaces', namespaces: chosen.map((c) => c.label) };
    }
  }

  /**
   * Whether the context's user may install the connector, asked right after the context is chosen. When not: the
   * missing permissions in a document the user can copy, and the choice to register in AWS and hand the installation
   * to an administrator. 'install' goes on as usual, 'handoff' registers only; undefined stops.
   */
  private async checkRights(service: ConnectorService, kube: KubeCluster, region: string, name: string): Promise<'install' | 'handoff' | undefined> {
    const check = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Checking the rights of ${kube.contextName} to install the connector…`, cancellable: true },
      (_progress, token) => service.checkRights({ region, name, provider: 'OTHER', role: { kind: 'create', name: 'placeholder' }, grants: [], nodeSelector: false }, abortOn(token)));
    this.log.info(`Rights of ${kube.contextName}: ${check.status}${check.reason ? ` (${check.reason})` : ''}`);
    if (check.status !== 'fail') return 'install';
    const show = 'Show Missing Permissions';
    const handoff = 'Register and Hand Off to an Administrator';
    for (;;) {
      const choice = await vscode.window.showWarningMessage(`${kube.contextName} may not install the EKS Connector`, { modal: true, detail: `${firstSentence(check.reason ?? 'Permissions are missing.')} Show Missing Permissions lists them in a document you can copy. Or register the cluster in AWS and give an administrator the manifests to apply.` }, show, handoff);
      if (choice === show) {
        const lines = [`# Permissions missing in ${kube.contextName}`, '', `To install the EKS Connector, the user of kube context \`${kube.contextName}\` lacks:`, '', ...(check.details ?? []).map((d) => `- ${d}`), '', check.reason ?? '', '', check.fix ? `**What to do:** ${check.fix}` : ''];
        await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ language: 'markdown', content: `${lines.join('\n').trim()}\n` }), { preview: false });
        continue;
      }
      return choice === handoff ? 'handoff' : undefined;
    }
  }

  /**
   * Registers in AWS only and writes what an administrator applies: the non-secret manifests where the user chooses,
   * and the activation Secret in a separate file, only where the user explicitly chooses, outside the workspace.
   */
  private async handOff(service: ConnectorService, plan: Parameters<ConnectorService['connect']>[0]): Promise<void> {
    const folder = await vscode.window.showOpenDialog({ title: `Where to write the manifests of ${plan.name} (no secrets)`, canSelectFolders: true, canSelectFiles: false, openLabel: 'Write Manifests Here', defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri });
    if (!folder?.[0]) return;
    const secretDefault = vscode.Uri.file(path.join(os.homedir(), `${plan.name}-activation-secret.yaml`));
    const secretFile = await vscode.window.showSaveDialog({ title: `Where to write the activation Secret of ${plan.name} (outside the workspace)`, defaultUri: secretDefault, saveLabel: 'Write Secret Here', filters: { YAML: ['yaml'] } });
    if (!secretFile) return;
    const inside = vscode.workspace.workspaceFolders?.find((w) => isInside(secretFile.fsPath, w.uri.fsPath));
    if (inside) throw new UserFacingError(`The activation Secret was not written to ${secretFile.fsPath}: it is inside the workspace folder ${inside.name}, where it could be committed or synced. Nothing was registered. Choose a file outside the workspace, then run the command again.`);
    const handoff = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Registering ${plan.name} in ${plan.region}`, cancellable: true },
      (_progress, token) => service.registerForHandoff(plan, abortOn(token)));
    const manifestFile = path.join(folder[0].fsPath, `${plan.name}-eks-connector.yaml`);
    await fs.writeFile(manifestFile, `# EKS Connector for ${plan.name} (${plan.region}), without the activation Secret: apply it after the Secret.\n${handoff.manifestYaml}`);
    await fs.writeFile(secretFile.fsPath, handoff.secretYaml, { mode: 0o600 });
    const expiry = handoff.activationExpiry ? handoff.activationExpiry.toLocaleString() : 'in a few days';
    this.tree.refreshAll();
    void vscode.window.showInformationMessage(
      `${plan.name} is registered in ${plan.region} (PENDING). Give an administrator ${manifestFile} and ${secretFile.fsPath}: they apply the Secret, then the manifests (kubectl apply -f). The activation expires ${expiry}; after that, deregister and register again.`,
    );
    await vscode.window.showTextDocument(vscode.Uri.file(manifestFile), { preview: false });
  }
}

/** The first sentence of a long reason (a dialog must stay short enough to show its buttons). */
function firstSentence(text: string): string {
  const end = text.search(/[.:](\s|$)/);
  const sentence = end >= 0 ? text.slice(0, end + 1) : text;
  return sentence.length > 240 ? `${sentence.slice(0, 239)}…` : sentence;
}

function isInside(file: string, folder: string): boolean {
  const relative = path.relative(folder, file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
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

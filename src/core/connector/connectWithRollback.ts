// Connecting a cluster: pre-flight, the agent role (when asked to create one), RegisterCluster, the connector
// manifest applied with server-side apply, and the wait for ACTIVE. When a step after RegisterCluster fails or is
// cancelled, a rollback (the default) leaves nothing behind, or the error says precisely what remains.
import { randomUUID } from 'node:crypto';
import type { Cluster } from '@aws-sdk/client-eks';
import type { KubernetesObject } from '@kubernetes/client-node';
import { describeAwsError } from '../aws/errors';
import { describeKubeError, KubeOperationError } from '../kube/errors';
import { KubeApplyError, describeRef, type ObjectRef } from '../kube/kubeCluster';
import { isCancellation } from '../util/abort';
import type { AgentRoleChoice } from './agentRole';
import { validateProvider, type ConnectorProvider } from './names';
import { applyOrder, nonSecretObjects, manifestToYaml } from './manifest';
import type { ConsoleAccessGrant } from './consoleAccess';
import type { PodProblem } from './podProblems';
import { ConnectorError, type FailureCategory } from './connectorError';
import type { ConnectorContext } from './connectorContext';
import { FIELD_MANAGER, listManaged, manifestObjects } from './connectorObjects';
import { failedChecksError, grantsFor, normalizePlan, renderPlan, type CheckReport, type ConnectorChecks, type ConnectPlan } from './connectorChecks';
import type { ConnectorLifecycle } from './connectorLifecycle';

export type ConnectStep = 'checks' | 'role' | 'register' | 'apply' | 'connect' | 'rollback';

export interface ConnectProgress {
  readonly step: ConnectStep;
  readonly message: string;
  /** Set while waiting for ACTIVE: the activation expiry, for a countdown. */
  readonly activationExpiry?: Date;
  /** A connector pod problem seen while waiting (reported as it happens). */
  readonly podProblem?: PodProblem;
}

export interface ConnectResult {
  readonly cluster: Cluster;
  readonly resumed: boolean;
  readonly applied: string[];
  /** The non-secret objects as YAML (for GitOps); never contains the activation code. */
  readonly manifestYaml: string;
  readonly roleArn: string;
}

export interface ConnectOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: ConnectProgress) => void;
  /** Wait for ACTIVE after applying (default true). */
  readonly wait?: boolean;
  readonly waitTimeoutMs?: number;
  readonly pollIntervalMs?: number;
  readonly propagationWaitMs?: number;
  /** Asked when a step after RegisterCluster failed; default 'rollback'. */
  readonly onFailure?: (error: unknown, created: string[]) => Promise<'rollback' | 'keep'>;
  /** The report the user confirmed: then only what can change since (the name) is checked again, not everything. */
  readonly confirmed?: CheckReport;
}

interface Created {
  role?: AgentRoleChoice;
  registration?: { region: string; name: string };
  applied: ObjectRef[];
  /** The object whose apply failed without an answer: it may exist, and is removed if it carries our label. */
  uncertain?: ObjectRef;
}

export class ConnectWithRollback {
  constructor(private readonly ctx: ConnectorContext, private readonly checks: ConnectorChecks, private readonly lifecycle: ConnectorLifecycle) {}

  /** Pre-flight, then register, apply and (by default) wait for ACTIVE; rolls back on failure unless told to keep. */
  async connect(input: ConnectPlan, options: ConnectOptions = {}): Promise<ConnectResult> {
    const plan = normalizePlan(input);
    const { signal } = options;
    const { aws, roles, kube } = this.ctx;
    const progress = (step: ConnectStep, message: string, extra: Partial<ConnectProgress> = {}) => options.onProgress?.({ step, message, ...extra });
    progress('checks', `Checking ${plan.name} in ${plan.region} and the cluster ${kube.contextName ?? ''}`.trim());
    const report = options.confirmed ? await this.checks.recheck(plan, options.confirmed, signal) : await this.checks.check(plan, signal);
    if (!report.ok) throw failedChecksError(report);
    const grants = grantsFor(plan, report.callerPrincipal);
    if (report.resume) return this.resume(plan, report.resume, grants, options);

    const created: Created = { applied: [] };
    try {
      let roleArn: string;
      if (plan.role.kind === 'create') {
        progress('role', `Creating the agent role ${plan.role.name}`);
        created.role = await roles.create(plan.role.name, { region: plan.region, name: plan.name }, signal);
        roleArn = created.role.arn;
      } else {
        roleArn = plan.role.arn;
      }

      progress('register', `Registering ${plan.name} with EKS in ${plan.region}`);
      const cluster = await aws.register(
        { region: plan.region, name: plan.name, provider: providerValue(plan.provider), roleArn, tags: plan.tags, clientRequestToken: randomUUID() },
        { signal, propagationWaitMs: options.propagationWaitMs, onRetry: (reason, attempt) => progress('register', `Waiting for the IAM role to propagate (attempt ${attempt}): ${reason}`) },
      );
      created.registration = { region: plan.region, name: plan.name };
      const config = cluster.connectorConfig;
      if (!config?.activationId || !config.activationCode) throw new ConnectorError('RegisterCluster returned no activation.', 'aws');
      this.ctx.deps.redactor?.add(config.activationCode);

      const manifest = renderPlan(plan, grants, config.activationId, config.activationCode);
      progress('apply', `Applying the connector and its RBAC to ${kube.contextName ?? 'the cluster'}`);
      // Pre-flight proved the namespace is new or ours, so every applied object is ours to roll back: no pre-reads.
      await kube.apply(manifestObjects(applyOrder(manifest)), {
        fieldManager: FIELD_MANAGER, signal, classify: false,
        onApplied: (applied, index, total) => {
          created.applied.push(applied.ref);
          progress('apply', `${applied.action} ${describeRef(applied.ref)} (${index + 1}/${total})`);
        },
      });
      const result = (registration: Cluster) => connectResult({ cluster: registration, resumed: false, applied: created.applied.map(describeRef), roleArn }, nonSecretObjects(manifest));
      if (options.wait === false) return result(cluster);
      return result(await this.lifecycle.waitUntilActive(plan.region, plan.name, config.activationExpiry, options));
    } catch (error) {
      // A request cut off on the way back may have been stored: the rollback looks for that object too.
      if (error instanceof KubeApplyError && ['unreachable', 'cancelled', 'unknown'].includes(error.described.kind)) created.uncertain = error.failed;
      throw await this.afterFailure(error, created, options);
    }
  }

  /** Re-applies the connector's non-secret objects (the activation Secret is kept) and waits, for a registration this cluster carries. */
  private async resume(plan: ConnectPlan, cluster: Cluster, grants: ConsoleAccessGrant[], options: ConnectOptions): Promise<ConnectResult> {
    options.onProgress?.({ step: 'apply', message: `${plan.name} is already registered (${cluster.status}): repairing the connector` });
    const report = await this.lifecycle.repairWith(plan, cluster, grants, plan, options.signal);
    const result: ConnectResult = { cluster, resumed: true, applied: report.done, roleArn: cluster.connectorConfig?.roleArn ?? '', manifestYaml: report.yaml };
    if (options.wait === false || cluster.status === 'ACTIVE') return result;
    return { ...result, cluster: await this.lifecycle.waitUntilActive(plan.region, plan.name, cluster.connectorConfig?.activationExpiry, options) };
  }

  private async afterFailure(error: unknown, created: Created, options: ConnectOptions): Promise<ConnectorError> {
    const createdList = describeCreated(created);
    const category: FailureCategory = error instanceof ConnectorError ? error.category
      : isCancellation(error) ? 'cancelled'
        : error instanceof KubeOperationError || (error as { name?: string }).name === 'KubeApplyError' ? 'cluster' : 'aws';
    // An apply that failed names the object it was applying.
    const activity = error instanceof KubeApplyError ? `Applying ${describeRef(error.failed)}` : 'Applying the connector';
    const described = error instanceof ConnectorError || isCancellation(error) ? undefined
      : category === 'cluster' ? describeKubeError(error, { activity, context: this.ctx.kube.contextName })
        : describeAwsError(error, { activity: 'Connecting the cluster' });
    const message = error instanceof ConnectorError ? error.message
      : !described ? 'Cancelled.'
        : category === 'cluster' ? `${described.summary}: ${described.reason}`
          : described.reason;
    // The described error's advice (retry, check the network, ask for a permission) reaches the user too.
    const fix = error instanceof ConnectorError ? error.fix : described?.fix;
    if (createdList.length === 0) return new ConnectorError(message, category, [], undefined, fix);
    const decision = options.onFailure ? await options.onFailure(error, createdList).catch(() => 'rollback' as const) : 'rollback';
    if (decision === 'keep') {
      return new ConnectorError(`${message} Kept as asked: ${createdList.join('; ')}.`, category, createdList, undefined, fix);
    }
    options.onProgress?.({ step: 'rollback', message: 'Rolling back what was created' });
    const remaining = await this.rollback(created);
    const rolledBack = remaining.length === 0 ? ' Everything created was removed.' : ` Rollback could not remove: ${remaining.map((r) => r.replace(/\.$/, '')).join('; ')}.`;
    return new ConnectorError(`${message}${rolledBack}`, category, remaining, undefined, fix);
  }

  /** Undoes a partial connect, with its own time limit: the caller's signal may be the cancellation that led here. */
  private async rollback(created: Created): Promise<string[]> {
    const { aws, roles, kube } = this.ctx;
    const signal = AbortSignal.timeout(120_000);
    const remaining: string[] = [];
    const uncertain = created.uncertain;
    if (uncertain) {
      const stored = await listManaged(kube, [[uncertain.apiVersion, uncertain.kind]], signal).catch(() => []);
      if (stored.some((o) => o.metadata?.name === uncertain.metadata.name && (o.metadata?.namespace ?? undefined) === uncertain.metadata.namespace)) created.applied.push(uncertain);
    }
    if (created.applied.length) {
      try {
        await kube.delete([...created.applied].reverse(), { signal, propagation: 'Background' });
      } catch (error) {
        remaining.push(`connector objects in the cluster (${created.applied.map(describeRef).join(', ')}): ${describeKubeError(error, { activity: 'Deleting them' }).reason}`);
      }
    }
    if (created.registration) {
      try {
        await aws.deregister(created.registration.region, created.registration.name, signal);
      } catch (error) {
        remaining.push(`the EKS registration ${created.registration.name} in ${created.registration.region}: ${describeAwsError(error, { activity: 'Deregistering it' }).reason}`);
      }
    }
    if (created.role) {
      try {
        // The role is tagged with the cluster it was created for; that tag decides, not the registration.
        await roles.deleteIfCreatedFor(created.role.arn, parseCreatedFor(created.role.createdForCluster), signal);
      } catch (error) {
        remaining.push(`the agent role ${created.role.arn}: ${describeAwsError(error, { activity: 'Deleting it' }).reason}`);
      }
    }
    return remaining;
  }
}

/** A connect's result; its YAML is rendered when first read (to save it), as rendering takes longer than an apply. */
function connectResult(fields: Omit<ConnectResult, 'manifestYaml'>, objects: readonly KubernetesObject[]): ConnectResult {
  let yaml: string | undefined;
  return {
    ...fields,
    get manifestYaml() {
      return (yaml ??= manifestToYaml(objects));
    },
  };
}

/** The provider as the API spells it; check() has already refused anything that does not validate. */
function providerValue(input: string): ConnectorProvider | string {
  const valid = validateProvider(input);
  return valid.ok ? valid.value : input;
}

function parseCreatedFor(value: string | undefined): { region: string; name: string } {
  const [region, ...rest] = (value ?? '/').split('/');
  return { region, name: rest.join('/') };
}

function describeCreated(created: Created): string[] {
  const list: string[] = [];
  if (created.role) list.push(`the agent role ${created.role.arn}`);
  if (created.registration) list.push(`the EKS registration ${created.registration.name} in ${created.registration.region} (PENDING)`);
  if (created.applied.length) list.push(`${created.applied.length} connector objects in the cluster (${created.applied.map(describeRef).join(', ')})`);
  return list;
}

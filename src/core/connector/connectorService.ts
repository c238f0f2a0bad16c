// Connecting a cluster end to end, shared by the VS Code command and the CLI: pre-flight (AWS and cluster),
// RegisterCluster, the connector manifest applied with server-side apply, the wait for ACTIVE — and, when a step
// after RegisterCluster fails or is cancelled, a rollback (the default) that leaves nothing behind, or a precise
// account of what remains. Also grant/revoke, repair, status and deregister.
import { randomUUID } from 'node:crypto';
import type { Cluster } from '@aws-sdk/client-eks';
import type { KubernetesObject, V1StatefulSet } from '@kubernetes/client-node';
import type { AwsSession } from '../aws/session';
import { describeAwsError } from '../aws/errors';
import { findRegion } from '../aws/regions';
import { isCancellation } from '../util/abort';
import type { SecretRedactor } from '../util/redact';
import { KubeApplyError, KubeCluster, describeRef, type ManifestObject, type ObjectRef } from '../kube/kubeCluster';
import { clusterPreflight } from './preflight';
import { describeKubeError, KubeOperationError } from '../kube/errors';
import { AgentRoleService, type AgentRoleChoice } from './agentRole';
import { RegistrationApi, CONNECTED_CLUSTER_QUOTA } from './registrationApi';
import { canonicalPrincipalArn, validateRoleArn } from './arn';
import { validateClusterName, validateProvider, CONNECTOR_NAMESPACE, MANAGED_LABELS, CLUSTER_ANNOTATION, type ConnectorProvider } from './names';
import { applyOrder, nonSecretObjects, renderConnectorManifest, manifestToYaml, STATEFUL_SET_NAME, ACTIVATION_SECRET_NAME, CONTAINER, installedConnector, type ConnectorManifest } from './manifest';
import {
  consoleAccessObjects, grantsFromObjects, renderConsoleAccess, IMPERSONATION_ROLE_NAME, type ConsoleAccessGrant, type ConsoleAccessScope,
} from './consoleAccess';
import { describeImages, type ImageOverrides } from './images';
import { podProblem, logsCommand, type PodProblem } from './podProblems';

export const FIELD_MANAGER = 'eks-connector-vscode';
/** Checks of what the user typed, as opposed to checks of AWS or the cluster. */
const INPUT_CHECKS = new Set(['name', 'provider', 'region', 'roleArn', 'images']);
const AWS_CHECK_ORDER = ['nameFree', 'quota', 'role'];
const RBAC_KINDS = ['ClusterRoleBinding', 'ClusterRole', 'RoleBinding', 'Role'].map((kind) => ['rbac.authorization.k8s.io/v1', kind] as const);
/** Deletion order for deregistering: bindings before roles, the namespace (with what is left in it) last. */
const MANAGED_KINDS = [
  ...RBAC_KINDS,
  ['apps/v1', 'StatefulSet'], ['v1', 'ConfigMap'], ['v1', 'Secret'], ['v1', 'ServiceAccount'], ['v1', 'Namespace'],
] as const;
const MANAGED_SELECTOR = Object.entries(MANAGED_LABELS).map(([k, v]) => `${k}=${v}`).join(',');
// Placeholders for rendering what will be created before RegisterCluster has answered (pre-flight, repair).
const PLACEHOLDER_ACTIVATION_ID = '00000000-0000-4000-8000-000000000000';
const PLACEHOLDER_ACTIVATION_CODE = 'placeholder-activation-code';

export type FailureCategory = 'input' | 'preflight' | 'aws' | 'cluster' | 'cancelled';

/** A failure with what the user should know: its class (for exit codes), and what is left behind. */
export class ConnectorError extends Error {
  constructor(
    message: string,
    readonly category: FailureCategory,
    readonly remaining: readonly string[] = [],
    readonly checks?: readonly ConnectorCheck[],
    readonly fix?: string,
  ) {
    super(message);
    this.name = 'ConnectorError';
  }
}

export interface ConnectorCheck {
  readonly id: string;
  readonly title: string;
  readonly status: 'pass' | 'fail' | 'warn';
  readonly reason?: string;
  readonly fix?: string;
  readonly details?: string[];
}

export type RoleChoice = { readonly kind: 'existing'; readonly arn: string } | { readonly kind: 'create'; readonly name: string };

export interface ConnectPlan {
  readonly region: string;
  readonly name: string;
  readonly provider: string;
  readonly role: RoleChoice;
  /** Console access; empty = the caller's canonical identity, with `callerScope` (full access by default). */
  readonly grants: readonly ConsoleAccessGrant[];
  readonly callerScope?: ConsoleAccessScope;
  readonly nodeSelector: boolean;
  readonly images?: ImageOverrides;
  readonly tags?: Record<string, string>;
}

export type ConnectStep = 'checks' | 'role' | 'register' | 'apply' | 'connect' | 'rollback';

export interface ConnectProgress {
  readonly step: ConnectStep;
  readonly message: string;
  /** Set while waiting for ACTIVE: the activation expiry, for a countdown. */
  readonly activationExpiry?: Date;
  /** A connector pod problem seen while waiting (reported as it happens). */
  readonly podProblem?: PodProblem;
}

export interface CheckReport {
  readonly ok: boolean;
  readonly checks: ConnectorCheck[];
  readonly callerArn?: string;
  /** The caller as the Kubernetes user the console will impersonate. */
  readonly callerPrincipal?: string;
  /** A registration of this name that this context already carries: connecting again repairs and resumes it. */
  readonly resume?: Cluster;
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
}

export interface OperationReport {
  readonly done: string[];
  readonly remaining: string[];
}

interface Created {
  role?: AgentRoleChoice;
  registration?: { region: string; name: string };
  applied: ObjectRef[];
  /** The object whose apply failed without an answer: it may exist, and is removed if it carries our label. */
  uncertain?: ObjectRef;
}

export interface ConnectorServiceDeps {
  readonly session: Pick<AwsSession, 'eks' | 'ssm' | 'iam' | 'callerIdentity'>;
  /** The cluster to act on; absent when no kube context reaches it (only the AWS side can then be handled). */
  readonly kube?: KubeCluster;
  readonly redactor?: SecretRedactor;
}

export class ConnectorService {
  readonly aws: RegistrationApi;
  readonly roles: AgentRoleService;

  constructor(private readonly deps: ConnectorServiceDeps) {
    this.aws = new RegistrationApi(deps.session);
    this.roles = new AgentRoleService(deps.session);
  }

  private get kube(): KubeCluster {
    if (!this.deps.kube) throw new ConnectorError('No kube context reaches this cluster.', 'input', [], undefined, 'Choose the kube context of the cluster.');
    return this.deps.kube;
  }

  /** Every check before anything is changed: input, region, identity, name, quota, role, and the cluster. */
  async check(plan: ConnectPlan, signal?: AbortSignal): Promise<CheckReport> {
    const checks: ConnectorCheck[] = [];
    const fail = (id: string, title: string, reason: string, fix: string, details?: string[]) => checks.push({ id, title, status: 'fail', reason, fix, details });
    const pass = (id: string, title: string, reason?: string, details?: string[]) => checks.push({ id, title, status: 'pass', reason, details });

    const name = validateClusterName(plan.name);
    if (name.ok) pass('name', 'Cluster name is valid');
    else fail('name', 'Cluster name is valid', name.message, name.hint ?? 'Use letters, digits, - and _, starting with a letter or digit.');
    const provider = validateProvider(plan.provider);
    if (provider.ok) pass('provider', 'Provider is known', provider.value);
    else fail('provider', 'Provider is known', provider.message, provider.hint ?? 'Use EKS_ANYWHERE, ANTHOS, GKE, AKS, OPENSHIFT, TANZU, RANCHER, EC2 or OTHER.');
    const region = findRegion(plan.region);
    if (!region) fail('region', 'Region offers the EKS Connector', `"${plan.region}" is not an AWS region where EKS is offered.`, 'Choose a region such as us-west-2.');
    else if (!region.connectorSupported) fail('region', 'Region offers the EKS Connector', `The EKS Connector is not available in ${plan.region} (${region.name}): China and GovCloud regions cannot register clusters.`, 'Choose a commercial AWS region.');
    else pass('region', 'Region offers the EKS Connector', `${plan.region} (${region.name})`);
    if (plan.role.kind === 'existing') {
      const role = validateRoleArn(plan.role.arn);
      if (!role.ok) fail('roleArn', 'Agent role ARN is valid', role.message, role.hint ?? 'Give the ARN of an IAM role that trusts ssm.amazonaws.com.');
    }
    if (plan.images?.connector !== undefined || plan.images?.ssmAgent !== undefined) {
      try {
        // Each image with where it came from: they receive the activation code.
        pass('images', 'Connector images are pinned references', undefined, describeImages(plan.images));
      } catch (error) {
        fail('images', 'Connector images are pinned references', (error as Error).message, 'Correct the image override (a registry path with a tag or digest), or clear it to use the pinned default.');
      }
    }
    if (checks.some((c) => c.status === 'fail')) return { ok: false, checks };

    // AWS: who is calling, is the name free (or ours to resume), is there quota, is the role usable.
    let callerArn: string | undefined;
    let callerPrincipal: string | undefined;
    try {
      callerArn = (await this.deps.session.callerIdentity(plan.region, signal)).arn;
      callerPrincipal = canonicalPrincipalArn(callerArn);
      pass('identity', 'AWS identity', `${callerArn}`, [`Kubernetes user for console access: ${callerPrincipal}`]);
    } catch (error) {
      if (isCancellation(error)) throw error;
      const d = describeAwsError(error, { activity: 'Reading the AWS identity', region: plan.region });
      fail('identity', 'AWS identity', d.reason, d.fix);
      return { ok: false, checks };
    }

    // The rest of AWS and the whole cluster pre-flight are independent: run them side by side.
    const grants = this.grantsFor(plan, callerPrincipal);
    const preview = this.render(plan, grants, PLACEHOLDER_ACTIVATION_ID, PLACEHOLDER_ACTIVATION_CODE);
    const clusterChecking = clusterPreflight(this.kube, {
      objects: manifestObjects(applyOrder(preview)),
      impersonateUsers: grants.map((g) => g.principalArn),
      nodeSelector: plan.nodeSelector,
    }, { signal });
    clusterChecking.catch(() => undefined);
    const awsChecks: ConnectorCheck[] = [];
    const [resume] = await Promise.all([
      this.nameCheck(plan, awsChecks, signal),
      this.quotaCheck(plan, awsChecks, signal),
      this.checkRole(plan, awsChecks, signal),
    ]);
    // A resume needs neither quota nor a new role.
    checks.push(...awsChecks.filter((c) => !resume || !['quota', 'role'].includes(c.id)).sort((a, b) => AWS_CHECK_ORDER.indexOf(a.id) - AWS_CHECK_ORDER.indexOf(b.id)));
    for (const c of await clusterChecking) {
      // Our own namespace is a resume only when AWS agrees; otherwise it is a leftover to clean up.
      if (c.id === 'namespace' && c.status === 'pass' && c.reason && !resume && /ours|resume|this extension/i.test(c.reason)) {
        checks.push({ ...c, status: 'warn', reason: `${c.reason} It belongs to no current registration of ${plan.name}; connecting replaces its objects.` });
      } else {
        checks.push(c);
      }
    }
    return { ok: !checks.some((c) => c.status === 'fail'), checks, callerArn, callerPrincipal, resume };
  }

  /** Pre-flight, then register, apply and (by default) wait for ACTIVE; rolls back on failure unless told to keep. */
  async connect(plan: ConnectPlan, options: ConnectOptions = {}): Promise<ConnectResult> {
    const { signal } = options;
    const progress = (step: ConnectStep, message: string, extra: Partial<ConnectProgress> = {}) => options.onProgress?.({ step, message, ...extra });
    progress('checks', `Checking ${plan.name} in ${plan.region} and the cluster ${this.kube.contextName ?? ''}`.trim());
    const report = await this.check(plan, signal);
    if (!report.ok) {
      const failed = report.checks.filter((c) => c.status === 'fail');
      // Wrong input (name, provider, region, role ARN) is the user's to correct; the rest is the environment's.
      const category = failed.every((c) => INPUT_CHECKS.has(c.id)) ? 'input' : 'preflight';
      throw new ConnectorError(`${category === 'input' ? 'Invalid input' : 'Pre-flight failed'}: ${failed.map((c) => `${c.title}: ${c.reason}`).join('; ')}`, category, [], report.checks, failed[0]?.fix);
    }
    const grants = this.grantsFor(plan, report.callerPrincipal);
    if (report.resume) return this.resume(plan, report.resume, grants, options);

    const created: Created = { applied: [] };
    try {
      let roleArn: string;
      if (plan.role.kind === 'create') {
        progress('role', `Creating the agent role ${plan.role.name}`);
        created.role = await this.roles.create(plan.role.name, { region: plan.region, name: plan.name }, signal);
        roleArn = created.role.arn;
      } else {
        roleArn = plan.role.arn;
      }

      progress('register', `Registering ${plan.name} with EKS in ${plan.region}`);
      const cluster = await this.aws.register(
        { region: plan.region, name: plan.name, provider: providerValue(plan.provider), roleArn, tags: plan.tags, clientRequestToken: randomUUID() },
        { signal, propagationWaitMs: options.propagationWaitMs, onRetry: (reason, attempt) => progress('register', `Waiting for the IAM role to propagate (attempt ${attempt}): ${reason}`) },
      );
      created.registration = { region: plan.region, name: plan.name };
      const config = cluster.connectorConfig;
      if (!config?.activationId || !config.activationCode) throw new ConnectorError('RegisterCluster returned no activation.', 'aws');
      this.deps.redactor?.add(config.activationCode);

      const manifest = this.render(plan, grants, config.activationId, config.activationCode);
      progress('apply', `Applying the connector and its RBAC to ${this.kube.contextName ?? 'the cluster'}`);
      // Pre-flight proved the namespace is new or ours, so every applied object is ours to roll back: no pre-reads.
      await this.kube.apply(manifestObjects(applyOrder(manifest)), {
        fieldManager: FIELD_MANAGER, signal, classify: false,
        onApplied: (applied, index, total) => {
          created.applied.push(applied.ref);
          progress('apply', `${applied.action} ${describeRef(applied.ref)} (${index + 1}/${total})`);
        },
      });
      const result = (registration: Cluster) => connectResult({ cluster: registration, resumed: false, applied: created.applied.map(describeRef), roleArn }, nonSecretObjects(manifest));
      if (options.wait === false) return result(cluster);
      return result(await this.waitUntilActive(plan.region, plan.name, config.activationExpiry, options));
    } catch (error) {
      // A request cut off on the way back may have been stored: the rollback looks for that object too.
      if (error instanceof KubeApplyError && ['unreachable', 'cancelled', 'unknown'].includes(error.described.kind)) created.uncertain = error.failed;
      throw await this.afterFailure(error, created, options);
    }
  }

  /** Re-applies the connector's non-secret objects (the activation Secret is kept) and waits, for a registration this cluster carries. */
  private async resume(plan: ConnectPlan, cluster: Cluster, grants: ConsoleAccessGrant[], options: ConnectOptions): Promise<ConnectResult> {
    options.onProgress?.({ step: 'apply', message: `${plan.name} is already registered (${cluster.status}): repairing the connector` });
    const report = await this.repairWith(plan.region, plan.name, cluster, grants, plan, options.signal);
    const result: ConnectResult = { cluster, resumed: true, applied: report.done, roleArn: cluster.connectorConfig?.roleArn ?? '', manifestYaml: report.yaml };
    if (options.wait === false || cluster.status === 'ACTIVE') return result;
    return { ...result, cluster: await this.waitUntilActive(plan.region, plan.name, cluster.connectorConfig?.activationExpiry, options) };
  }

  /**
   * Re-applies the non-secret objects of a connected cluster, keeping its Secret and its current grants. The
   * connector keeps the images and node placement it runs with; `whenMissing` applies only when its StatefulSet is gone.
   */
  async repair(target: { region: string; name: string }, signal?: AbortSignal, whenMissing: { nodeSelector?: boolean; images?: ImageOverrides } = {}): Promise<OperationReport> {
    const cluster = await this.awsStep(() => this.aws.describe(target.region, target.name, signal), `Looking up ${target.name}`, 'eks:DescribeCluster');
    if (!cluster?.connectorConfig) throw new ConnectorError(`${target.name} is not a connected cluster in ${target.region}.`, 'input');
    const current = await this.currentGrants(signal);
    if (current.length === 0) throw new ConnectorError('The cluster has no console access grants to keep; register it again or grant access first.', 'cluster');
    const stateful = await this.kube.read<V1StatefulSet>({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: STATEFUL_SET_NAME, namespace: CONNECTOR_NAMESPACE } }, signal);
    const installed = stateful && installedConnector(stateful.spec?.template.spec);
    const keep = installed ? { nodeSelector: installed.linuxAmd64NodeSelector, images: installed.images } : { nodeSelector: whenMissing.nodeSelector ?? true, images: whenMissing.images };
    const { done } = await this.repairWith(target.region, target.name, cluster, current, keep, signal);
    return { done, remaining: [] };
  }

  private async repairWith(region: string, name: string, cluster: Cluster, grants: readonly ConsoleAccessGrant[], plan: { nodeSelector: boolean; images?: ImageOverrides }, signal?: AbortSignal): Promise<{ done: string[]; yaml: string }> {
    const manifest = renderConnectorManifest({
      clusterName: name, region, activationId: cluster.connectorConfig!.activationId!, activationCode: PLACEHOLDER_ACTIVATION_CODE,
      images: plan.images, linuxAmd64NodeSelector: plan.nodeSelector, consoleAccess: [...grants],
    });
    const objects = nonSecretObjects(manifest);
    const done: string[] = [];
    await this.kubeStep(() => this.kube.apply(manifestObjects(objects), { fieldManager: FIELD_MANAGER, signal, onApplied: (a) => done.push(`${a.action} ${describeRef(a.ref)}`) }), 'Re-applying the connector');
    return { done, yaml: manifestToYaml(objects) };
  }

  /** Polls DescribeCluster until ACTIVE while watching the connector pods; problems are reported as they happen. */
  async waitUntilActive(region: string, name: string, activationExpiry: Date | undefined, options: ConnectOptions = {}): Promise<Cluster> {
    const watchAbort = new AbortController();
    const abortWatch = () => watchAbort.abort();
    options.signal?.addEventListener('abort', abortWatch, { once: true });
    const reported = new Map<string, string>();
    let persistent: PodProblem | undefined;
    const watching = this.kube.watchPods(CONNECTOR_NAMESPACE, 'app=eks-connector', (event) => {
      if (event.type === 'DELETED') return;
      const problem = podProblem(event.pod);
      if (!problem || reported.get(problem.pod) === problem.state) return;
      reported.set(problem.pod, problem.state);
      if (problem.persistent) persistent = problem;
      options.onProgress?.({ step: 'connect', message: `${problem.pod}: ${problem.state} — ${problem.message}`, podProblem: problem });
    }, watchAbort.signal).catch(() => undefined);
    try {
      options.onProgress?.({ step: 'connect', message: `Waiting for the connector to activate ${name}`, activationExpiry });
      const cluster = await this.awsStep(() => this.aws.waitForStatus(region, name, {
        until: ['ACTIVE'], failOn: ['FAILED'], intervalMs: options.pollIntervalMs ?? 5000, timeoutMs: options.waitTimeoutMs ?? 15 * 60_000, signal: options.signal,
        onPoll: (c) => options.onProgress?.({ step: 'connect', message: `${name} is ${c.status}`, activationExpiry }),
      }), `Waiting for ${name} to become ACTIVE`, 'eks:DescribeCluster');
      if (!cluster) throw new ConnectorError(`${name} was deregistered while waiting for it to become ACTIVE.`, 'aws');
      return cluster;
    } catch (error) {
      if (persistent && !isCancellation(error)) {
        throw new ConnectorError(`The connector did not activate: ${persistent.pod} is ${persistent.state} (${persistent.message}).`, 'cluster', [], undefined,
          `See \`${logsCommand(persistent, CONNECTOR_NAMESPACE, this.kube.contextName)}\`.`);
      }
      throw error;
    } finally {
      watchAbort.abort();
      options.signal?.removeEventListener('abort', abortWatch);
      await watching;
    }
  }

  /** Adds (or re-scopes) principals: updates the impersonation rule and their access bindings. */
  async grant(target: { region: string; name: string }, grants: readonly ConsoleAccessGrant[], signal?: AbortSignal): Promise<OperationReport> {
    const canonical = grants.map((g) => ({ ...g, principalArn: canonicalPrincipalArn(g.principalArn) }));
    const before = await this.managedRbac(signal);
    const current = grantsFromObjects(before).grants;
    const next = [...current.filter((g) => !canonical.some((n) => n.principalArn === g.principalArn)), ...canonical];
    return this.applyGrants(target, before, next, signal);
  }

  /** Removes principals; the last one cannot be removed (the impersonation rule must never be empty). */
  async revoke(target: { region: string; name: string }, principals: readonly string[], signal?: AbortSignal): Promise<OperationReport> {
    const before = await this.managedRbac(signal);
    const current = grantsFromObjects(before).grants;
    const canonical = principals.map((p) => canonicalPrincipalArn(p));
    const unknown = canonical.filter((p) => !current.some((g) => g.principalArn === p));
    if (unknown.length) throw new ConnectorError(`Not granted on this cluster: ${unknown.join(', ')}.`, 'input', [], undefined, `Granted now: ${current.map((g) => g.principalArn).join(', ') || 'nobody'}.`);
    const next = current.filter((g) => !canonical.includes(g.principalArn));
    if (next.length === 0) throw new ConnectorError('Revoking every principal would leave the connector unable to serve anyone.', 'input', [], undefined, 'Grant someone else first, or deregister the cluster.');
    return this.applyGrants(target, before, next, signal);
  }

  private async applyGrants(target: { region: string; name: string }, before: KubernetesObject[], grants: ConsoleAccessGrant[], signal?: AbortSignal): Promise<OperationReport> {
    const access = renderConsoleAccess(grants, { clusterName: target.name, region: target.region });
    const objects = [access.impersonationRole, access.impersonationBinding, ...consoleAccessObjects(access)];
    const done: string[] = [];
    await this.kubeStep(() => this.kube.apply(manifestObjects(objects), { fieldManager: FIELD_MANAGER, signal, onApplied: (a) => done.push(`${a.action} ${describeRef(a.ref)}`) }), 'Updating console access');
    const keep = new Set(objects.map((o) => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`));
    const stale = before.filter((o) => ['ClusterRoleBinding', 'RoleBinding', 'Role', 'ClusterRole'].includes(o.kind ?? '') && !keep.has(`${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`)
      && /console-dashboard/.test(o.metadata?.name ?? ''));
    if (stale.length) {
      const result = await this.kubeStep(() => this.kube.delete(stale.map(toRef), { signal }), 'Removing revoked access');
      done.push(...result.deleted.map((r) => `deleted ${describeRef(r)}`));
    }
    return { done, remaining: [] };
  }

  /** Deregisters, removes the connector from the cluster, the agents' SSM instances, and a role created for it. */
  async deregister(target: { region: string; name: string }, options: { signal?: AbortSignal; onProgress?: (message: string) => void; kube?: boolean } = {}): Promise<OperationReport> {
    const { signal } = options;
    const done: string[] = [];
    const remaining: string[] = [];
    const cluster = await this.awsStep(() => this.aws.describe(target.region, target.name, signal), `Looking up ${target.name}`, 'eks:DescribeCluster');
    if (cluster && !cluster.connectorConfig) {
      throw new ConnectorError(`${target.name} in ${target.region} is an EKS-managed cluster, not a connected one: deregistering applies only to clusters registered through the EKS Connector.`, 'input');
    }
    const activationId = cluster?.connectorConfig?.activationId;
    if (activationId) {
      try {
        const instances = await this.aws.managedInstances(target.region, activationId, signal);
        for (const instance of instances) {
          try {
            await this.aws.deregisterInstance(target.region, instance.InstanceId!, signal);
            done.push(`deregistered SSM managed instance ${instance.InstanceId}`);
          } catch (error) {
            remaining.push(`SSM managed instance ${instance.InstanceId}: ${describeAwsError(error, { activity: 'Deregistering it', region: target.region }).reason} (EKS removes it with the registration)`);
          }
        }
      } catch (error) {
        if (isCancellation(error)) throw error;
        options.onProgress?.(`Could not list the agents' SSM instances: ${describeAwsError(error, { activity: 'Listing them', region: target.region }).reason}`);
      }
    }
    if (cluster) {
      options.onProgress?.(`Deregistering ${target.name} from EKS in ${target.region}`);
      try {
        await this.aws.deregister(target.region, target.name, signal);
        done.push(`deregistered ${target.name} from EKS in ${target.region}`);
      } catch (error) {
        if (isCancellation(error)) throw error;
        const d = describeAwsError(error, { activity: `Deregistering ${target.name}`, region: target.region, action: 'eks:DeregisterCluster' });
        remaining.push(`the EKS registration ${target.name} in ${target.region}: ${d.reason} ${d.fix}`);
      }
    } else {
      done.push(`${target.name} was not registered in ${target.region}`);
    }
    if (options.kube !== false && this.deps.kube) {
      options.onProgress?.('Removing the connector from the cluster');
      try {
        const objects = (await this.listManaged(MANAGED_KINDS, signal)).filter((o) => belongsTo(o, target));
        const result = await this.kube.delete(objects.map(toRef), { signal, propagation: 'Background' });
        done.push(...result.deleted.map((r) => `deleted ${describeRef(r)}`));
      } catch (error) {
        if (isCancellation(error)) throw error;
        remaining.push(`the connector objects in the cluster: ${describeKubeError(error, { activity: 'Deleting them' }).reason}`);
      }
    }
    const roleArn = cluster?.connectorConfig?.roleArn;
    if (roleArn) {
      try {
        if (await this.roles.deleteIfCreatedFor(roleArn, target, signal)) done.push(`deleted the agent role ${roleArn} created for this cluster`);
      } catch (error) {
        if (isCancellation(error)) throw error;
        remaining.push(`the agent role ${roleArn}: ${describeAwsError(error, { activity: 'Deleting it' }).reason}`);
      }
    }
    return { done, remaining };
  }

  /** The registration and what runs in the cluster. */
  async status(target: { region: string; name: string }, signal?: AbortSignal): Promise<{ cluster?: Cluster; pods: Array<{ name: string; phase: string; problem?: string }>; grants: string[] }> {
    const cluster = await this.awsStep(() => this.aws.describe(target.region, target.name, signal), `Looking up ${target.name}`, 'eks:DescribeCluster');
    const pods = await this.kube.listPods(CONNECTOR_NAMESPACE, 'app=eks-connector', signal).catch(() => []);
    const grants = await this.currentGrants(signal).catch(() => []);
    return {
      cluster,
      pods: pods.map((p) => ({ name: p.metadata?.name ?? '', phase: p.status?.phase ?? 'Unknown', problem: podProblem(p)?.message })),
      grants: grants.map((g) => `${g.principalArn} (${g.scope.kind === 'full' ? 'full access' : `namespaces ${g.scope.namespaces.join(', ')}`})`),
    };
  }

  // -------------------------------------------------------------------------------------------------------------

  private grantsFor(plan: ConnectPlan, callerPrincipal: string | undefined): ConsoleAccessGrant[] {
    if (plan.grants.length) return plan.grants.map((g) => ({ ...g, principalArn: canonicalPrincipalArn(g.principalArn) }));
    if (!callerPrincipal) throw new ConnectorError('No principal to grant console access to.', 'input');
    return [{ principalArn: callerPrincipal, scope: plan.callerScope ?? { kind: 'full' } }];
  }

  private render(plan: ConnectPlan, grants: ConsoleAccessGrant[], activationId: string, activationCode: string): ConnectorManifest {
    return renderConnectorManifest({
      clusterName: plan.name, region: plan.region, activationId, activationCode, images: plan.images,
      linuxAmd64NodeSelector: plan.nodeSelector, consoleAccess: grants,
    });
  }

  /** Whether the name is free in the region; a registration this cluster already runs is returned (a resume). */
  private async nameCheck(plan: ConnectPlan, checks: ConnectorCheck[], signal?: AbortSignal): Promise<Cluster | undefined> {
    const title = 'Cluster name is free in the region';
    const existing = await this.awsStep(() => this.aws.describe(plan.region, plan.name, signal), `Looking up ${plan.name} in ${plan.region}`, 'eks:DescribeCluster');
    if (!existing) {
      checks.push({ id: 'nameFree', title, status: 'pass' });
      return undefined;
    }
    const ours = existing.connectorConfig ? await this.connectorActivationId(signal) : undefined;
    if (existing.connectorConfig && ours === existing.connectorConfig.activationId && existing.status !== 'FAILED') {
      checks.push({ id: 'nameFree', title, status: 'pass', reason: `${plan.name} is already registered (${existing.status}) and this cluster runs its connector: connecting again repairs it and waits for ACTIVE.` });
      return existing;
    }
    const deregisterFirst = `Deregister ${plan.name} first (EKS Connector: Deregister, or \`eks-connector deregister --region ${plan.region} --name ${plan.name}\`)`;
    if (existing.connectorConfig && ours === existing.connectorConfig.activationId) {
      // Ours, but the agent never connected before the activation ran out: only a new registration brings a new one.
      const expiry = existing.connectorConfig.activationExpiry;
      checks.push({ id: 'nameFree', title, status: 'fail', reason: `${plan.name} is registered in ${plan.region} and this cluster runs its connector, but its activation expired${expiry ? ` at ${expiry.toISOString()}` : ''} before the agent connected.`,
        fix: `${deregisterFirst}, then register again: a new registration comes with a new activation.` });
    } else if (existing.connectorConfig) {
      checks.push({ id: 'nameFree', title, status: 'fail', reason: `${plan.name} is already registered in ${plan.region} (${existing.status}) and this cluster does not run its connector.${existing.status === 'FAILED' ? ' Its activation has expired.' : ''}`,
        fix: `${deregisterFirst} — the activation code is shown only once — or choose another name.` });
    } else {
      checks.push({ id: 'nameFree', title, status: 'fail', reason: `${plan.region} already has an EKS cluster named ${plan.name}.`, fix: 'Choose another name.' });
    }
    return undefined;
  }

  private async quotaCheck(plan: ConnectPlan, checks: ConnectorCheck[], signal?: AbortSignal): Promise<void> {
    const title = 'Connected-cluster quota has room';
    try {
      const count = await this.aws.countConnected(plan.region, signal);
      if (count >= CONNECTED_CLUSTER_QUOTA) {
        checks.push({ id: 'quota', title, status: 'warn', reason: `${plan.region} already has ${count} connected clusters; the default quota is ${CONNECTED_CLUSTER_QUOTA}.`,
          fix: 'Deregister clusters you no longer need, or raise the "Registered clusters" quota in Service Quotas.' });
      } else {
        checks.push({ id: 'quota', title, status: 'pass', reason: `${count} of ${CONNECTED_CLUSTER_QUOTA} (default quota) in ${plan.region}` });
      }
    } catch (error) {
      if (isCancellation(error)) throw error;
      const d = describeAwsError(error, { activity: `Counting connected clusters in ${plan.region}`, region: plan.region });
      checks.push({ id: 'quota', title, status: 'warn', reason: `Not checked: ${d.reason}`, fix: d.fix });
    }
  }

  private async checkRole(plan: ConnectPlan, checks: ConnectorCheck[], signal?: AbortSignal): Promise<void> {
    const title = 'Agent role trusts ssm.amazonaws.com';
    const roleName = plan.role.kind === 'create' ? plan.role.name : plan.role.arn.split('/').pop() ?? '';
    try {
      const role = await this.roles.get(roleName, plan.region, signal);
      if (plan.role.kind === 'create') {
        checks.push({ id: 'role', title: 'Agent role name is free', status: 'fail', reason: `A role named ${roleName} already exists (${role.arn}).`, fix: 'Choose that role instead of creating one, or another name.' });
      } else if (!role.trustsSsm) {
        checks.push({ id: 'role', title, status: 'fail', reason: `${plan.role.arn} does not let ssm.amazonaws.com assume it.`, fix: 'Choose a role whose trust policy allows ssm.amazonaws.com, or let the extension create one.' });
      } else {
        checks.push({ id: 'role', title, status: 'pass', reason: role.arn });
      }
    } catch (error) {
      if (isCancellation(error)) throw error;
      const code = (error as { name?: string }).name;
      if (code === 'NoSuchEntityException' || code === 'NoSuchEntity') {
        if (plan.role.kind === 'create') checks.push({ id: 'role', title: 'Agent role name is free', status: 'pass', reason: `${roleName} will be created` });
        else checks.push({ id: 'role', title, status: 'fail', reason: `No role ${plan.role.arn} exists.`, fix: 'Choose an existing role, or let the extension create one.' });
      } else {
        const d = describeAwsError(error, { activity: `Reading the role ${roleName}`, action: 'iam:GetRole' });
        checks.push({ id: 'role', title, status: plan.role.kind === 'create' ? 'fail' : 'warn', reason: `Not checked: ${d.reason}`, fix: d.fix });
      }
    }
  }

  /** The activation id the connector in this cluster was installed with, if one is. */
  private async connectorActivationId(signal?: AbortSignal): Promise<string | undefined> {
    const stateful = await this.kube.read<V1StatefulSet>({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: STATEFUL_SET_NAME, namespace: CONNECTOR_NAMESPACE } }, signal).catch(() => undefined);
    const secret = await this.kube.exists({ apiVersion: 'v1', kind: 'Secret', metadata: { name: ACTIVATION_SECRET_NAME, namespace: CONNECTOR_NAMESPACE } }, signal).catch(() => false);
    if (!stateful || !secret) return undefined;
    const init = stateful.spec?.template.spec?.initContainers?.find((c) => c.name === CONTAINER.init);
    return init?.env?.find((e) => e.name === 'EKS_ACTIVATION_ID')?.value;
  }

  private async managedRbac(signal?: AbortSignal): Promise<KubernetesObject[]> {
    const objects = await this.kubeStep(() => this.listManaged(RBAC_KINDS, signal), 'Reading the connector RBAC');
    if (!objects.some((o) => o.kind === 'ClusterRole' && o.metadata?.name === IMPERSONATION_ROLE_NAME)) {
      throw new ConnectorError('This cluster has no EKS Connector installed by this extension (no eks-connector-service ClusterRole).', 'cluster', [], undefined, 'Check the kubeconfig context, or register the cluster first.');
    }
    return objects;
  }

  private async currentGrants(signal?: AbortSignal): Promise<ConsoleAccessGrant[]> {
    return grantsFromObjects(await this.managedRbac(signal)).grants;
  }

  /** Objects of these kinds that carry this extension's labels, each tagged with its apiVersion and kind. */
  private async listManaged(kinds: ReadonlyArray<readonly [string, string]>, signal?: AbortSignal): Promise<KubernetesObject[]> {
    const lists = await Promise.all(kinds.map(async ([apiVersion, kind]) =>
      (await this.kube.list(apiVersion, kind, { labelSelector: MANAGED_SELECTOR, signal })).map((o) => ({ ...o, apiVersion, kind }))));
    return lists.flat();
  }

  private async afterFailure(error: unknown, created: Created, options: ConnectOptions): Promise<ConnectorError> {
    const createdList = describeCreated(created);
    const category: FailureCategory = error instanceof ConnectorError ? error.category
      : isCancellation(error) ? 'cancelled'
        : error instanceof KubeOperationError || (error as { name?: string }).name === 'KubeApplyError' ? 'cluster' : 'aws';
    // An apply that failed names the object it was applying.
    const activity = error instanceof KubeApplyError ? `Applying ${describeRef(error.failed)}` : 'Applying the connector';
    const described = error instanceof ConnectorError || isCancellation(error) ? undefined
      : category === 'cluster' ? describeKubeError(error, { activity, context: this.kube.contextName })
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
    const signal = AbortSignal.timeout(120_000);
    const remaining: string[] = [];
    const uncertain = created.uncertain;
    if (uncertain) {
      const stored = await this.listManaged([[uncertain.apiVersion, uncertain.kind]], signal).catch(() => []);
      if (stored.some((o) => o.metadata?.name === uncertain.metadata.name && (o.metadata?.namespace ?? undefined) === uncertain.metadata.namespace)) created.applied.push(uncertain);
    }
    if (created.applied.length) {
      try {
        await this.kube.delete([...created.applied].reverse(), { signal, propagation: 'Background' });
      } catch (error) {
        remaining.push(`connector objects in the cluster (${created.applied.map(describeRef).join(', ')}): ${describeKubeError(error, { activity: 'Deleting them' }).reason}`);
      }
    }
    if (created.registration) {
      try {
        await this.aws.deregister(created.registration.region, created.registration.name, signal);
      } catch (error) {
        remaining.push(`the EKS registration ${created.registration.name} in ${created.registration.region}: ${describeAwsError(error, { activity: 'Deregistering it' }).reason}`);
      }
    }
    if (created.role) {
      try {
        // The role is tagged with the cluster it was created for; that tag decides, not the registration.
        await this.roles.deleteIfCreatedFor(created.role.arn, parseCreatedFor(created.role.createdForCluster), signal);
      } catch (error) {
        remaining.push(`the agent role ${created.role.arn}: ${describeAwsError(error, { activity: 'Deleting it' }).reason}`);
      }
    }
    return remaining;
  }

  private async awsStep<T>(call: () => Promise<T>, activity: string, action?: string): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (isCancellation(error) || error instanceof ConnectorError) throw error;
      const d = describeAwsError(error, { activity, action });
      throw new ConnectorError(`${d.summary}: ${d.reason}`, 'aws', [], undefined, d.fix);
    }
  }

  private async kubeStep<T>(call: () => Promise<T>, activity: string): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (isCancellation(error) || error instanceof ConnectorError) throw error;
      const d = describeKubeError(error, { activity, context: this.kube.contextName });
      throw new ConnectorError(`${d.summary}: ${d.reason}`, 'cluster', [], undefined, d.fix);
    }
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

/** Rendered objects always carry apiVersion, kind and name; this makes that visible to the type checker. */
function manifestObjects(objects: readonly KubernetesObject[]): ManifestObject[] {
  return objects.map((o) => {
    if (!o.apiVersion || !o.kind || !o.metadata?.name) throw new Error(`A rendered object lacks apiVersion, kind or name: ${JSON.stringify(o.metadata ?? {})}`);
    return o as ManifestObject;
  });
}

/** The provider as the API spells it; check() has already refused anything that does not validate. */
function providerValue(input: string): ConnectorProvider | string {
  const valid = validateProvider(input);
  return valid.ok ? valid.value : input;
}

function toRef(object: KubernetesObject): ObjectRef {
  return { apiVersion: object.apiVersion!, kind: object.kind!, metadata: { name: object.metadata!.name!, ...(object.metadata?.namespace ? { namespace: object.metadata.namespace } : {}) } };
}

function belongsTo(object: KubernetesObject, target: { region: string; name: string }): boolean {
  const owner = object.metadata?.annotations?.[CLUSTER_ANNOTATION];
  return !owner || owner === `${target.region}/${target.name}`;
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


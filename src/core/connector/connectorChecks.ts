// The pre-flight report: every check before anything is changed — the input, the region, the AWS identity, whether
// the name is free (or a registration this cluster already runs, to resume), the quota, the agent role, and the
// cluster's own pre-flight — run side by side where they are independent.
import type { Cluster } from '@aws-sdk/client-eks';
import { describeAwsError } from '../aws/errors';
import { resolveRegion } from '../aws/regions';
import { isCancellation } from '../util/abort';
import { applyOrder, renderConnectorManifest, type ConnectorManifest } from './manifest';
import { clusterPreflight, installRightsCheck } from './preflight';
import { CONNECTED_CLUSTER_QUOTA } from './registrationApi';
import { canonicalPrincipalArn, validateRoleArn } from './arn';
import { validateClusterName, validateProvider } from './names';
import type { ConsoleAccessGrant, ConsoleAccessScope } from './consoleAccess';
import { describeImages, type ImageOverrides } from './images';
import { ConnectorError, type ConnectorCheck, type FailureCategory } from './connectorError';
import type { ConnectorContext } from './connectorContext';
import { PLACEHOLDER_ACTIVATION_CODE, PLACEHOLDER_ACTIVATION_ID, installedActivationId, manifestObjects } from './connectorObjects';
import { findConnectorOwner, runningActivationId } from './connectorOwner';

/** Checks of what the user typed, as opposed to checks of AWS or the cluster. */
const INPUT_CHECKS = new Set(['name', 'provider', 'region', 'roleArn', 'images']);
const AWS_CHECK_ORDER = ['nameFree', 'quota', 'role'];
const NAME_FREE_TITLE = 'Cluster name is free in the region';

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
  /** Regions where a registration owning a connector already in the cluster is looked for, besides `region`. */
  readonly searchRegions?: readonly string[];
}

/** The plan as it is used: the name without the spaces around it (the name is validated trimmed, so used trimmed). */
export function normalizePlan(plan: ConnectPlan): ConnectPlan {
  const name = plan.name.trim();
  return name === plan.name ? plan : { ...plan, name };
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

/** The grants a plan installs: its own, or the caller with the plan's scope. */
export function grantsFor(plan: ConnectPlan, callerPrincipal: string | undefined): ConsoleAccessGrant[] {
  if (plan.grants.length) return plan.grants.map((g) => ({ ...g, principalArn: canonicalPrincipalArn(g.principalArn) }));
  if (!callerPrincipal) throw new ConnectorError('No principal to grant console access to.', 'input');
  return [{ principalArn: callerPrincipal, scope: plan.callerScope ?? { kind: 'full' } }];
}

export function renderPlan(plan: ConnectPlan, grants: ConsoleAccessGrant[], activationId: string, activationCode: string): ConnectorManifest {
  return renderConnectorManifest({
    clusterName: plan.name, region: plan.region, activationId, activationCode, images: plan.images,
    linuxAmd64NodeSelector: plan.nodeSelector, consoleAccess: grants,
  });
}

/** The error a failed report stops a connect with: 'input' when only what the user typed is wrong. */
export function failedChecksError(report: CheckReport): ConnectorError {
  const failed = report.checks.filter((c) => c.status === 'fail');
  // Wrong input (name, provider, region, role ARN) is the user's to correct; the rest is the environment's.
  const category: FailureCategory = failed.every((c) => INPUT_CHECKS.has(c.id)) ? 'input' : 'preflight';
  return new ConnectorError(`${category === 'input' ? 'Invalid input' : 'Pre-flight failed'}: ${failed.map((c) => `${c.title}: ${c.reason}`).join('; ')}`, category, [], report.checks, failed[0]?.fix);
}

export class ConnectorChecks {
  constructor(private readonly ctx: ConnectorContext) {}

  /** Every check before anything is changed: input, region, identity, name, quota, role, and the cluster. */
  async check(input: ConnectPlan, signal?: AbortSignal): Promise<CheckReport> {
    const plan = normalizePlan(input);
    const checks: ConnectorCheck[] = [];
    const fail = (id: string, title: string, reason: string, fix: string, details?: string[]) => checks.push({ id, title, status: 'fail', reason, fix, details });
    const pass = (id: string, title: string, reason?: string, details?: string[]) => checks.push({ id, title, status: 'pass', reason, details });

    const name = validateClusterName(plan.name);
    if (name.ok) pass('name', 'Cluster name is valid');
    else fail('name', 'Cluster name is valid', name.message, name.hint ?? 'Use letters, digits, - and _, starting with a letter or digit.');
    const provider = validateProvider(plan.provider);
    if (provider.ok) pass('provider', 'Provider is known', provider.value);
    else fail('provider', 'Provider is known', provider.message, provider.hint ?? 'Use EKS_ANYWHERE, ANTHOS, GKE, AKS, OPENSHIFT, TANZU, RANCHER, EC2 or OTHER.');
    // A well-formed region this release does not list (launched later) is accepted with a warning.
    const region = resolveRegion(plan.region);
    if (!region) fail('region', 'Region offers the EKS Connector', `"${plan.region}" is not an AWS region where EKS is offered.`, 'Choose a region such as us-west-2.');
    else if (!region.connectorSupported) fail('region', 'Region offers the EKS Connector', `The EKS Connector is not available in ${plan.region} (${region.name}): China and GovCloud regions cannot register clusters.`, 'Choose a commercial AWS region.');
    else if (region.unlisted) checks.push({ id: 'region', title: 'Region offers the EKS Connector', status: 'warn', reason: `${plan.region} is not in this version's list of AWS regions; it is used as given.`, fix: 'Check the region name; if AWS answers that the endpoint cannot be reached, choose a listed region.' });
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
      callerArn = (await this.ctx.deps.session.callerIdentity(plan.region, signal)).arn;
      callerPrincipal = canonicalPrincipalArn(callerArn);
      pass('identity', 'AWS identity', `${callerArn}`, [`Kubernetes user for console access: ${callerPrincipal}`]);
    } catch (error) {
      if (isCancellation(error)) throw error;
      const d = describeAwsError(error, { activity: 'Reading the AWS identity', region: plan.region });
      fail('identity', 'AWS identity', d.reason, d.fix);
      return { ok: false, checks };
    }

    // The rest of AWS and the whole cluster pre-flight are independent: run them side by side.
    const grants = grantsFor(plan, callerPrincipal);
    const preview = renderPlan(plan, grants, PLACEHOLDER_ACTIVATION_ID, PLACEHOLDER_ACTIVATION_CODE);
    // Stopped when the name cannot be looked up: the report is failed whatever the cluster says.
    const stop = new AbortController();
    const clusterSignal = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
    const clusterChecking = clusterPreflight(this.ctx.kube, {
      objects: manifestObjects(applyOrder(preview)),
      impersonateUsers: grants.map((g) => g.principalArn),
      nodeSelector: plan.nodeSelector,
    }, { signal: clusterSignal });
    clusterChecking.catch(() => undefined);
    const running = runningActivationId(this.ctx.kube, clusterSignal).catch((error: unknown) => {
      if (isCancellation(error)) throw error;
      return undefined; // the namespace check reports what cannot be read
    });
    running.catch(() => undefined);
    const awsChecks: ConnectorCheck[] = [];
    const [lookup] = await Promise.all([
      this.nameCheck(plan, awsChecks, signal).then((resume) => ({ resume }), (error: unknown) => {
        if (isCancellation(error)) throw error;
        stop.abort();
        const d = describeAwsError(error, { activity: `Looking up ${plan.name} in ${plan.region}`, region: plan.region, action: 'eks:DescribeCluster' });
        awsChecks.push({ id: 'nameFree', title: NAME_FREE_TITLE, status: 'fail', reason: `Could not be checked: ${d.reason}`, fix: d.fix });
        return { failed: true as const };
      }),
      this.quotaCheck(plan, awsChecks, signal),
      this.checkRole(plan, awsChecks, signal),
    ]);
    const resume = 'resume' in lookup ? lookup.resume : undefined;
    // A resume needs neither quota nor a new role.
    checks.push(...awsChecks.filter((c) => !resume || !['quota', 'role'].includes(c.id)).sort((a, b) => AWS_CHECK_ORDER.indexOf(a.id) - AWS_CHECK_ORDER.indexOf(b.id)));
    if ('failed' in lookup) {
      checks.push({ id: 'cluster', title: 'Cluster checks', status: 'warn', reason: `Not checked: whether ${plan.name} is free in ${plan.region} could not be checked.`, fix: 'Fix the failed check above, then check again.' });
      return { ok: false, checks, callerArn, callerPrincipal };
    }
    const owner = resume ? undefined : await this.connectorOwner(plan, await running, signal);
    for (const c of await clusterChecking) {
      if (c.id === 'namespace' && owner) checks.push(owner);
      // Our own namespace is a resume only when AWS agrees; otherwise it is a leftover to clean up.
      else if (c.id === 'namespace' && c.status === 'pass' && c.reason && !resume && /ours|resume|this extension/i.test(c.reason)) {
        checks.push({ ...c, status: 'warn', reason: `${c.reason} It belongs to no current registration of ${plan.name}; connecting replaces its objects.` });
      } else {
        checks.push(c);
      }
    }
    return { ok: !checks.some((c) => c.status === 'fail'), checks, callerArn, callerPrincipal, resume };
  }

  /**
   * Only whether the context's user may install the connector of `plan` (for the caller's console access when the
   * AWS identity can be read): asked right after the context is chosen, before the other steps.
   */
  async rightsCheck(input: ConnectPlan, signal?: AbortSignal): Promise<ConnectorCheck> {
    const plan = normalizePlan(input);
    const callerArn = await this.ctx.deps.session.callerIdentity(plan.region, signal).then((i) => i.arn, (error: unknown) => {
      if (isCancellation(error)) throw error;
      return undefined;
    });
    const grants = plan.grants.length || callerArn ? grantsFor(plan, callerArn ? canonicalPrincipalArn(callerArn) : undefined) : [];
    const preview = renderPlan(plan, grants, PLACEHOLDER_ACTIVATION_ID, PLACEHOLDER_ACTIVATION_CODE);
    return installRightsCheck(this.ctx.kube, { objects: manifestObjects(applyOrder(preview)), impersonateUsers: grants.map((g) => g.principalArn), nodeSelector: plan.nodeSelector }, { signal });
  }

  /**
   * Before connecting after the user confirmed `confirmed`: only what can have changed since is checked again — the
   * name (taken meanwhile, or a registration to resume appeared or went) — not the identity, role or cluster.
   */
  async recheck(input: ConnectPlan, confirmed: CheckReport, signal?: AbortSignal): Promise<CheckReport> {
    const plan = normalizePlan(input);
    if (!confirmed.ok) return confirmed;
    const now: ConnectorCheck[] = [];
    let resume: Cluster | undefined;
    try {
      resume = await this.nameCheck(plan, now, signal);
    } catch (error) {
      if (isCancellation(error)) throw error;
      const d = describeAwsError(error, { activity: `Looking up ${plan.name} in ${plan.region}`, region: plan.region, action: 'eks:DescribeCluster' });
      now.push({ id: 'nameFree', title: NAME_FREE_TITLE, status: 'fail', reason: `Could not be checked again before connecting: ${d.reason}`, fix: d.fix });
    }
    const changed = (resume?.arn ?? '') !== (confirmed.resume?.arn ?? '');
    if (changed && !now.some((c) => c.status === 'fail')) {
      now.push({ id: 'nameFree', title: NAME_FREE_TITLE, status: 'fail', reason: `${plan.name} in ${plan.region} changed since the checklist was shown (${resume ? `now registered, ${resume.status}` : 'its registration is gone'}).`, fix: 'Run the command again to check it anew.' });
    }
    const checks = [...confirmed.checks.filter((c) => c.id !== 'nameFree'), ...now.filter((c) => c.id === 'nameFree' && c.status === 'fail')];
    const ok = !checks.some((c) => c.status === 'fail');
    return { ...confirmed, ok, checks: ok ? confirmed.checks : checks, resume };
  }

  /**
   * What a connector already running in the cluster means for a new registration: the connector of another
   * registration is a failed check naming it (connecting would take it over); one of no registration is a leftover.
   */
  private async connectorOwner(plan: ConnectPlan, activationId: string | undefined, signal?: AbortSignal): Promise<ConnectorCheck | undefined> {
    if (!activationId) return undefined;
    const title = 'No other EKS Connector installation';
    const owner = await findConnectorOwner(this.ctx.aws, this.ctx.kube, activationId, [plan.region, ...(plan.searchRegions ?? [])], signal);
    const context = this.ctx.kube.contextName ?? 'this context';
    if (owner.registration) {
      const { name, region, cluster } = owner.registration;
      return {
        id: 'namespace', title, status: 'fail',
        reason: `The cluster of ${context} already runs the connector of the registration ${name} in ${region} (${cluster.status}, activation ${activationId}): registering it as ${plan.name} would take that connector over and leave ${name} dead.`,
        fix: `Deregister ${name} in ${region} first (EKS Connector: Deregister, or \`eks-connector deregister --region ${region} --name ${name}\`), then register again; or, if this cluster should stay registered as ${name}, repair that one (EKS Connector: Repair Connector) instead.`,
        details: [`Registration: ${name} in ${region}${cluster.arn ? ` (${cluster.arn})` : ''}`, `Activation id: ${activationId}`],
      };
    }
    return {
      id: 'namespace', title, status: 'warn',
      reason: `The cluster of ${context} runs a connector (activation ${activationId}) of no registration found in ${owner.searched.join(', ')}: connecting replaces it.`,
      fix: 'If it belongs to a registration in another region, deregister that one first.',
    };
  }

  /** Whether the name is free in the region; a registration this cluster already runs is returned (a resume). */
  private async nameCheck(plan: ConnectPlan, checks: ConnectorCheck[], signal?: AbortSignal): Promise<Cluster | undefined> {
    const title = NAME_FREE_TITLE;
    const existing = await this.ctx.aws.describe(plan.region, plan.name, signal);
    if (!existing) {
      checks.push({ id: 'nameFree', title, status: 'pass' });
      return undefined;
    }
    const ours = existing.connectorConfig ? await installedActivationId(this.ctx.kube, signal) : undefined;
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
      const count = await this.ctx.aws.countConnected(plan.region, signal);
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
      const role = await this.ctx.roles.get(roleName, plan.region, signal);
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
}

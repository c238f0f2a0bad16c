// Console access on a connected cluster: who the connector may impersonate and what each of them may read. Grant
// adds or re-scopes principals, revoke removes them (never the last), both by re-applying the access objects and
// deleting the bindings that no longer belong.
import type { KubernetesObject } from '@kubernetes/client-node';
import { describeRef, type AppliedObject } from '../kube/kubeCluster';
import { canonicalPrincipalArn } from './arn';
import { consoleAccessObjects, grantsFromObjects, renderConsoleAccess, IMPERSONATION_ROLE_NAME, type ConsoleAccessGrant } from './consoleAccess';
import { ConnectorError, kubeStep } from './connectorError';
import type { ClusterTarget, ConnectorContext, OperationReport } from './connectorContext';
import { FIELD_MANAGER, RBAC_KINDS, listManaged, manifestObjects, toRef } from './connectorObjects';

/** `forceConflicts`: take over fields another field manager owns (after the user confirmed which). */
export interface ApplyChoice {
  readonly forceConflicts?: boolean;
}

/** "updated ClusterRole x", and which fields were taken over from whom. */
export function appliedLine(a: AppliedObject): string {
  const taken = a.takenOver?.length ? ` (took over ${a.takenOver.map((t) => `${t.field} from "${t.manager}"`).join(', ')})` : '';
  return `${a.action} ${describeRef(a.ref)}${taken}`;
}

export class ConsoleGrants {
  constructor(private readonly ctx: ConnectorContext) {}

  /** Adds (or re-scopes) principals: updates the impersonation rule and their access bindings. */
  async grant(target: ClusterTarget, grants: readonly ConsoleAccessGrant[], signal?: AbortSignal, options: ApplyChoice = {}): Promise<OperationReport> {
    const canonical = grants.map((g) => ({ ...g, principalArn: canonicalPrincipalArn(g.principalArn) }));
    const before = await this.managedRbac(signal);
    const current = grantsFromObjects(before).grants;
    const next = [...current.filter((g) => !canonical.some((n) => n.principalArn === g.principalArn)), ...canonical];
    return this.applyGrants(target, before, next, signal, options);
  }

  /** Removes principals; the last one cannot be removed (the impersonation rule must never be empty). */
  async revoke(target: ClusterTarget, principals: readonly string[], signal?: AbortSignal): Promise<OperationReport> {
    const before = await this.managedRbac(signal);
    const current = grantsFromObjects(before).grants;
    const canonical = principals.map((p) => canonicalPrincipalArn(p));
    const unknown = canonical.filter((p) => !current.some((g) => g.principalArn === p));
    if (unknown.length) throw new ConnectorError(`Not granted on this cluster: ${unknown.join(', ')}.`, 'input', [], undefined, `Granted now: ${current.map((g) => g.principalArn).join(', ') || 'nobody'}.`);
    const next = current.filter((g) => !canonical.includes(g.principalArn));
    if (next.length === 0) throw new ConnectorError('Revoking every principal would leave the connector unable to serve anyone.', 'input', [], undefined, 'Grant someone else first, or deregister the cluster.');
    return this.applyGrants(target, before, next, signal);
  }

  /** The grants the cluster's RBAC carries now. */
  async current(signal?: AbortSignal): Promise<ConsoleAccessGrant[]> {
    return grantsFromObjects(await this.managedRbac(signal)).grants;
  }

  private async managedRbac(signal?: AbortSignal): Promise<KubernetesObject[]> {
    const kube = this.ctx.kube;
    const objects = await kubeStep(() => listManaged(kube, RBAC_KINDS, signal), 'Reading the connector RBAC', kube.contextName);
    if (!objects.some((o) => o.kind === 'ClusterRole' && o.metadata?.name === IMPERSONATION_ROLE_NAME)) {
      throw new ConnectorError('This cluster has no EKS Connector installed by this extension (no eks-connector-service ClusterRole).', 'cluster', [], undefined, 'Check the kubeconfig context, or register the cluster first.');
    }
    return objects;
  }

  private async applyGrants(target: ClusterTarget, before: KubernetesObject[], grants: ConsoleAccessGrant[], signal?: AbortSignal, options: ApplyChoice = {}): Promise<OperationReport> {
    const kube = this.ctx.kube;
    const access = renderConsoleAccess(grants, { clusterName: target.name, region: target.region });
    const objects = [access.impersonationRole, access.impersonationBinding, ...consoleAccessObjects(access)];
    const done: string[] = [];
    await kubeStep(() => kube.apply(manifestObjects(objects), { fieldManager: FIELD_MANAGER, signal, forceConflicts: options.forceConflicts, onApplied: (a) => done.push(appliedLine(a)) }), 'Updating console access', kube.contextName);
    const keep = new Set(objects.map((o) => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`));
    const stale = before.filter((o) => ['ClusterRoleBinding', 'RoleBinding', 'Role', 'ClusterRole'].includes(o.kind ?? '') && !keep.has(`${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`)
      && /console-dashboard/.test(o.metadata?.name ?? ''));
    if (stale.length) {
      const result = await kubeStep(() => kube.delete(stale.map(toRef), { signal }), 'Removing revoked access', kube.contextName);
      done.push(...result.deleted.map((r) => `deleted ${describeRef(r)}`));
    }
    return { done, remaining: [] };
  }
}

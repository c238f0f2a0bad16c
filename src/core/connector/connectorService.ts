// The connector service the VS Code commands, the CLI and the bench use: one object over the modules that do the
// work — the pre-flight report (connectorChecks), connect with rollback (connectWithRollback), console access
// (consoleGrants), and the registration's life after it (connectorLifecycle: status, repair, wait, deregister).
import type { Cluster } from '@aws-sdk/client-eks';
import type { AgentRoleService } from './agentRole';
import type { RegistrationApi } from './registrationApi';
import type { ConsoleAccessGrant } from './consoleAccess';
import type { ImageOverrides } from './images';
import { ConnectorContext, type ClusterTarget, type ConnectorServiceDeps, type OperationReport } from './connectorContext';
import { ConnectorChecks, type CheckReport, type ConnectPlan } from './connectorChecks';
import { ConsoleGrants, type ApplyChoice } from './consoleGrants';
import { ConnectorLifecycle, type ConnectorStatus, type DeregisterOptions } from './connectorLifecycle';
import { ConnectWithRollback, type ConnectOptions, type ConnectResult } from './connectWithRollback';
import { registerForHandoff, type Handoff } from './handoff';
import type { ConnectorCheck } from './connectorError';

export { ConnectorError, type ConnectorCheck, type FailureCategory } from './connectorError';
export { FIELD_MANAGER } from './connectorObjects';
export type { ClusterTarget, ConnectorServiceDeps, OperationReport } from './connectorContext';
export type { CheckReport, ConnectPlan, RoleChoice } from './connectorChecks';
export type { Handoff } from './handoff';
export type { ConnectOptions, ConnectProgress, ConnectResult, ConnectStep } from './connectWithRollback';
export type { ConnectorStatus, DeregisterOptions } from './connectorLifecycle';
export { formatGrant } from './connectorLifecycle';

export class ConnectorService {
  readonly aws: RegistrationApi;
  readonly roles: AgentRoleService;
  private readonly checks: ConnectorChecks;
  private readonly grants: ConsoleGrants;
  private readonly lifecycle: ConnectorLifecycle;
  private readonly connecting: ConnectWithRollback;
  private readonly ctx: ConnectorContext;

  constructor(deps: ConnectorServiceDeps) {
    const ctx = new ConnectorContext(deps);
    this.ctx = ctx;
    this.aws = ctx.aws;
    this.roles = ctx.roles;
    this.checks = new ConnectorChecks(ctx);
    this.grants = new ConsoleGrants(ctx);
    this.lifecycle = new ConnectorLifecycle(ctx, this.grants);
    this.connecting = new ConnectWithRollback(ctx, this.checks, this.lifecycle);
  }

  /** Every check before anything is changed: input, region, identity, name, quota, role, and the cluster. */
  check(plan: ConnectPlan, signal?: AbortSignal): Promise<CheckReport> {
    return this.checks.check(plan, signal);
  }

  /** Only the check of the context's rights to install the connector (asked as soon as the context is chosen). */
  checkRights(plan: ConnectPlan, signal?: AbortSignal): Promise<ConnectorCheck> {
    return this.checks.rightsCheck(plan, signal);
  }

  /** Registers in AWS only, and returns the manifest for an administrator: non-secret objects and the Secret apart. */
  registerForHandoff(plan: ConnectPlan, signal?: AbortSignal): Promise<Handoff> {
    return registerForHandoff(this.ctx, plan, signal);
  }

  /** Pre-flight, then register, apply and (by default) wait for ACTIVE; rolls back on failure unless told to keep. */
  connect(plan: ConnectPlan, options: ConnectOptions = {}): Promise<ConnectResult> {
    return this.connecting.connect(plan, options);
  }

  /** Polls DescribeCluster until ACTIVE while watching the connector pods; problems are reported as they happen. */
  waitUntilActive(region: string, name: string, activationExpiry: Date | undefined, options: ConnectOptions = {}): Promise<Cluster> {
    return this.lifecycle.waitUntilActive(region, name, activationExpiry, options);
  }

  /** Re-applies the connector of a connected cluster, keeping its Secret, grants, images and placement. */
  repair(target: ClusterTarget, signal?: AbortSignal, whenMissing: { nodeSelector?: boolean; images?: ImageOverrides } = {}, options: ApplyChoice = {}): Promise<OperationReport> {
    return this.lifecycle.repair(target, signal, whenMissing, options);
  }

  /** Adds (or re-scopes) principals: updates the impersonation rule and their access bindings. */
  grant(target: ClusterTarget, grants: readonly ConsoleAccessGrant[], signal?: AbortSignal, options: ApplyChoice = {}): Promise<OperationReport> {
    return this.grants.grant(target, grants, signal, options);
  }

  /** Removes principals; the last one cannot be removed (the impersonation rule must never be empty). */
  revoke(target: ClusterTarget, principals: readonly string[], signal?: AbortSignal): Promise<OperationReport> {
    return this.grants.revoke(target, principals, signal);
  }

  /** Deregisters, removes the connector from the cluster, the agents' SSM instances, and a role created for it. */
  deregister(target: ClusterTarget, options: DeregisterOptions = {}): Promise<OperationReport> {
    return this.lifecycle.deregister(target, options);
  }

  /** The registration and, when a cluster is at hand, what runs in it. */
  status(target: ClusterTarget, signal?: AbortSignal): Promise<ConnectorStatus> {
    return this.lifecycle.status(target, signal);
  }
}

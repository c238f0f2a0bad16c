// The seed: a JSON description of the AWS world the emulator starts from, and its validation. Validation names
// the offending field by path (e.g. `regions.us-west-2.clusters[1].connector.provider`) and says why, because a
// seed with a typo otherwise produces a quietly wrong sandbox.
import { readFile } from 'node:fs/promises';
import {
  ACCOUNT_ID_PATTERN, CLUSTER_NAME_PATTERN, IAM_NAME_PATTERN, IAM_PATH_PATTERN, REGION_PATTERN, parseRoleArn,
  principalAccount,
} from './arns';

export const CONNECTOR_PROVIDERS = ['EKS_ANYWHERE', 'ANTHOS', 'GKE', 'AKS', 'OPENSHIFT', 'TANZU', 'RANCHER', 'EC2', 'OTHER'] as const;
export type ConnectorProvider = (typeof CONNECTOR_PROVIDERS)[number];
export const CLUSTER_STATUSES = ['CREATING', 'ACTIVE', 'DELETING', 'FAILED', 'UPDATING', 'PENDING'] as const;
export type ClusterStatus = (typeof CLUSTER_STATUSES)[number];
export const CONNECTED_STATUSES = ['PENDING', 'ACTIVE', 'FAILED'] as const;
export type ConnectedSeedStatus = (typeof CONNECTED_STATUSES)[number];
export const NODEGROUP_STATUSES = ['CREATING', 'ACTIVE', 'UPDATING', 'DELETING', 'CREATE_FAILED', 'DELETE_FAILED', 'DEGRADED'] as const;
export type NodegroupStatus = (typeof NODEGROUP_STATUSES)[number];
export const LOG_TYPES = ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'] as const;
export const CAPACITY_TYPES = ['ON_DEMAND', 'SPOT', 'CAPACITY_BLOCK'] as const;

export interface SeedDeny {
  /** IAM action, `*` wildcards allowed: `eks:ListClusters`, `eks:*`, `iam:PassRole`, `*`. */
  action: string;
  /** Only deny in these regions (IAM calls are signed for us-east-1). */
  regions?: string[];
}

export interface SeedIdentity {
  accessKeyId: string;
  /** When present, SigV4 signatures made with this key are verified. */
  secretAccessKey?: string;
  arn: string;
  deny?: SeedDeny[];
}

export interface SeedHealthIssue {
  code: string;
  message: string;
  resourceIds?: string[];
}

export interface SeedNodegroup {
  name: string;
  status?: NodegroupStatus;
  instanceTypes?: string[];
  minSize?: number;
  maxSize?: number;
  desiredSize?: number;
  labels?: Record<string, string>;
  version?: string;
  releaseVersion?: string;
  amiType?: string;
  capacityType?: string;
  diskSize?: number;
  nodeRole?: string;
  subnets?: string[];
  tags?: Record<string, string>;
  healthIssues?: SeedHealthIssue[];
}

export interface SeedConnector {
  provider: ConnectorProvider;
  roleArn: string;
  status?: ConnectedSeedStatus;
  /** ISO time; default: the emulator's start time. The activation expires 72 h later. */
  registeredAt?: string;
  /** Kubernetes version, shown only while ACTIVE. */
  version?: string;
}

export interface SeedCluster {
  name: string;
  /** Present for a connected (registered) cluster; absent for an EKS-managed one. */
  connector?: SeedConnector;
  tags?: Record<string, string>;
  createdAt?: string;
  version?: string;
  status?: ClusterStatus;
  platformVersion?: string;
  roleArn?: string;
  endpointPublicAccess?: boolean;
  endpointPrivateAccess?: boolean;
  publicAccessCidrs?: string[];
  loggingTypes?: string[];
  authenticationMode?: string;
  healthIssues?: SeedHealthIssue[];
  nodegroups?: SeedNodegroup[];
}

export interface SeedRegion {
  /** Connected clusters allowed per account in this region (default 10). */
  connectedClusterQuota?: number;
  clusters?: SeedCluster[];
}

export interface SeedRole {
  name: string;
  path?: string;
  /** Account owning the role (default: the seed's accountId). */
  accountId?: string;
  /** Shortcut for a trust policy allowing this service principal, e.g. `ssm.amazonaws.com`. */
  trustService?: string;
  /** Full trust policy (object or JSON string); wins over trustService. */
  assumeRolePolicyDocument?: Record<string, unknown> | string;
  inlinePolicies?: Record<string, Record<string, unknown> | string>;
  description?: string;
  maxSessionDuration?: number;
  tags?: Record<string, string>;
}

export interface Seed {
  accountId?: string;
  identities?: SeedIdentity[];
  strictIdentities?: boolean;
  /**
   * Seconds on the emulator clock: a deregistered cluster stays DELETING for deregisterSeconds; an update (also
   * the one a cluster seeded as UPDATING is in) takes updateSeconds; a cluster seeded as CREATING becomes ACTIVE
   * createSeconds after the seed is loaded (default 600).
   */
  timings?: { deregisterSeconds?: number; updateSeconds?: number; createSeconds?: number };
  regions?: Record<string, SeedRegion>;
  /** Declaring `iam` (even with no roles) makes role existence checks real: unknown roles are refused. */
  iam?: { roles?: SeedRole[] };
}

export interface SeedIssue {
  path: string;
  message: string;
}

export class SeedValidationError extends Error {
  readonly issues: readonly SeedIssue[];

  constructor(issues: readonly SeedIssue[], source?: string) {
    const where = source ? ` (${source})` : '';
    super(`Invalid emulator seed${where}:\n${issues.map((issue) => `  - ${issue.path || '(root)'}: ${issue.message}`).join('\n')}`);
    this.name = 'SeedValidationError';
    this.issues = issues;
  }
}

type JsonObject = Record<string, unknown>;

/** Collects every problem in one pass, so a user fixes a seed in one edit rather than one error at a time. */
class SeedChecker {
  readonly issues: SeedIssue[] = [];

  fail(path: string, message: string): void {
    this.issues.push({ path, message });
  }

  object(value: unknown, path: string, allowedKeys: readonly string[]): JsonObject | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(path, `must be an object, got ${describe(value)}`);
      return undefined;
    }
    const record = value as JsonObject;
    for (const key of Object.keys(record)) {
      if (!allowedKeys.includes(key)) this.fail(join(path, key), `unknown field; expected one of ${allowedKeys.join(', ')}`);
    }
    return record;
  }

  array(value: unknown, path: string): unknown[] | undefined {
    if (!Array.isArray(value)) {
      this.fail(path, `must be an array, got ${describe(value)}`);
      return undefined;
    }
    return value;
  }

  string(value: unknown, path: string, rule?: { pattern?: RegExp; min?: number; max?: number; oneOf?: readonly string[]; hint?: string }): value is string {
    if (typeof value !== 'string') {
      this.fail(path, `must be a string, got ${describe(value)}`);
      return false;
    }
    if (rule?.min !== undefined && value.length < rule.min) {
      this.fail(path, `must be at least ${rule.min} characters long`);
      return false;
    }
    if (rule?.max !== undefined && value.length > rule.max) {
      this.fail(path, `must be at most ${rule.max} characters long`);
      return false;
    }
    if (rule?.oneOf && !rule.oneOf.includes(value)) {
      this.fail(path, `must be one of ${rule.oneOf.join(', ')}, got ${JSON.stringify(value)}`);
      return false;
    }
    if (rule?.pattern && !rule.pattern.test(value)) {
      this.fail(path, `${JSON.stringify(value)} ${rule.hint ?? `does not match ${rule.pattern.source}`}`);
      return false;
    }
    return true;
  }

  boolean(value: unknown, path: string): void {
    if (typeof value !== 'boolean') this.fail(path, `must be true or false, got ${describe(value)}`);
  }

  integer(value: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER): value is number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(path, `must be an integer from ${min} to ${max}, got ${describe(value)}`);
      return false;
    }
    return true;
  }

  number(value: unknown, path: string, min: number): void {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min) this.fail(path, `must be a number ≥ ${min}, got ${describe(value)}`);
  }

  timestamp(value: unknown, path: string): void {
    if (this.string(value, path) && Number.isNaN(Date.parse(value))) this.fail(path, `${JSON.stringify(value)} is not an ISO 8601 time such as 2026-01-01T00:00:00Z`);
  }

  stringMap(value: unknown, path: string): void {
    const record = this.object(value, path, Object.keys(typeof value === 'object' && value !== null ? value : {}));
    if (!record) return;
    for (const [key, entry] of Object.entries(record)) this.string(entry, join(path, key));
  }

  stringList(value: unknown, path: string, rule?: { pattern?: RegExp; oneOf?: readonly string[] }): void {
    const list = this.array(value, path);
    list?.forEach((entry, index) => this.string(entry, `${path}[${index}]`, rule));
  }

  policy(value: unknown, path: string): void {
    if (typeof value === 'string') {
      try {
        const parsed: unknown = JSON.parse(value);
        if (typeof parsed !== 'object' || parsed === null) this.fail(path, 'must be a JSON object policy document');
      } catch {
        this.fail(path, 'is a string but not valid JSON');
      }
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(path, `must be a policy document object or JSON string, got ${describe(value)}`);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value);
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

const ACCESS_KEY_PATTERN = /^[A-Z0-9]{16,128}$/;
const ACTION_PATTERN = /^(\*|[a-z0-9-]+:[A-Za-z0-9*]+)$/;
const KUBERNETES_VERSION_PATTERN = /^\d+\.\d+$/;

function checkHealthIssues(check: SeedChecker, value: unknown, path: string): void {
  check.array(value, path)?.forEach((issue, index) => {
    const issuePath = `${path}[${index}]`;
    const record = check.object(issue, issuePath, ['code', 'message', 'resourceIds']);
    if (!record) return;
    check.string(record.code, join(issuePath, 'code'), { min: 1 });
    check.string(record.message, join(issuePath, 'message'));
    if (record.resourceIds !== undefined) check.stringList(record.resourceIds, join(issuePath, 'resourceIds'));
  });
}

function checkNodegroup(check: SeedChecker, value: unknown, path: string): void {
  const record = check.object(value, path, [
    'name', 'status', 'instanceTypes', 'minSize', 'maxSize', 'desiredSize', 'labels', 'version', 'releaseVersion', 'amiType',
    'capacityType', 'diskSize', 'nodeRole', 'subnets', 'tags', 'healthIssues',
  ]);
  if (!record) return;
  check.string(record.name, join(path, 'name'), { min: 1, max: 63, pattern: CLUSTER_NAME_PATTERN, hint: 'must start with a letter or digit and contain only letters, digits, - and _' });
  if (record.status !== undefined) check.string(record.status, join(path, 'status'), { oneOf: NODEGROUP_STATUSES });
  if (record.instanceTypes !== undefined) check.stringList(record.instanceTypes, join(path, 'instanceTypes'));
  const sizes: Record<string, number | undefined> = {};
  for (const key of ['minSize', 'maxSize', 'desiredSize'] as const) {
    if (record[key] !== undefined && check.integer(record[key], join(path, key), 0)) sizes[key] = record[key] as number;
  }
  const min = sizes.minSize ?? 1;
  const max = sizes.maxSize ?? Math.max(3, min);
  const desired = sizes.desiredSize ?? min;
  if (min > max) check.fail(join(path, 'minSize'), `(${min}) must not exceed maxSize (${max})`);
  if (desired < min || desired > max) check.fail(join(path, 'desiredSize'), `(${desired}) must be between minSize (${min}) and maxSize (${max})`);
  if (record.labels !== undefined) check.stringMap(record.labels, join(path, 'labels'));
  if (record.tags !== undefined) check.stringMap(record.tags, join(path, 'tags'));
  if (record.version !== undefined) check.string(record.version, join(path, 'version'), { pattern: KUBERNETES_VERSION_PATTERN, hint: 'must be a Kubernetes minor version such as 1.31' });
  for (const key of ['releaseVersion', 'amiType', 'nodeRole'] as const) if (record[key] !== undefined) check.string(record[key], join(path, key));
  if (record.capacityType !== undefined) check.string(record.capacityType, join(path, 'capacityType'), { oneOf: CAPACITY_TYPES });
  if (record.diskSize !== undefined) check.integer(record.diskSize, join(path, 'diskSize'), 1);
  if (record.subnets !== undefined) check.stringList(record.subnets, join(path, 'subnets'));
  if (record.healthIssues !== undefined) checkHealthIssues(check, record.healthIssues, join(path, 'healthIssues'));
}

function checkCluster(check: SeedChecker, value: unknown, path: string, names: Set<string>): void {
  const record = check.object(value, path, [
    'name', 'connector', 'tags', 'createdAt', 'version', 'status', 'platformVersion', 'roleArn', 'endpointPublicAccess',
    'endpointPrivateAccess', 'publicAccessCidrs', 'loggingTypes', 'authenticationMode', 'healthIssues', 'nodegroups',
  ]);
  if (!record) return;
  if (check.string(record.name, join(path, 'name'), { min: 1, max: 100, pattern: CLUSTER_NAME_PATTERN, hint: 'must start with a letter or digit and contain only letters, digits, - and _' })) {
    if (names.has(record.name)) check.fail(join(path, 'name'), `duplicate cluster name ${JSON.stringify(record.name)} in this region`);
    names.add(record.name);
  }
  if (record.tags !== undefined) check.stringMap(record.tags, join(path, 'tags'));
  if (record.createdAt !== undefined) check.timestamp(record.createdAt, join(path, 'createdAt'));
  if (record.connector !== undefined) {
    const connectorPath = join(path, 'connector');
    const connector = check.object(record.connector, connectorPath, ['provider', 'roleArn', 'status', 'registeredAt', 'version']);
    if (connector) {
      check.string(connector.provider, join(connectorPath, 'provider'), { oneOf: CONNECTOR_PROVIDERS });
      if (check.string(connector.roleArn, join(connectorPath, 'roleArn')) && !parseRoleArn(connector.roleArn)) {
        check.fail(join(connectorPath, 'roleArn'), `${JSON.stringify(connector.roleArn)} is not an IAM role ARN (arn:aws:iam::<12 digits>:role/<name>)`);
      }
      if (connector.status !== undefined) check.string(connector.status, join(connectorPath, 'status'), { oneOf: CONNECTED_STATUSES });
      if (connector.registeredAt !== undefined) check.timestamp(connector.registeredAt, join(connectorPath, 'registeredAt'));
      if (connector.version !== undefined) check.string(connector.version, join(connectorPath, 'version'), { pattern: KUBERNETES_VERSION_PATTERN, hint: 'must be a Kubernetes minor version such as 1.31' });
    }
    for (const eksOnly of ['version', 'status', 'platformVersion', 'roleArn', 'endpointPublicAccess', 'endpointPrivateAccess', 'publicAccessCidrs', 'loggingTypes', 'authenticationMode', 'healthIssues', 'nodegroups']) {
      if (record[eksOnly] !== undefined) check.fail(join(path, eksOnly), `applies to EKS clusters only; a connected cluster sets its status and version under "connector"`);
    }
    return;
  }
  if (record.version !== undefined) check.string(record.version, join(path, 'version'), { pattern: KUBERNETES_VERSION_PATTERN, hint: 'must be a Kubernetes minor version such as 1.31' });
  if (record.status !== undefined) check.string(record.status, join(path, 'status'), { oneOf: CLUSTER_STATUSES });
  if (record.platformVersion !== undefined) check.string(record.platformVersion, join(path, 'platformVersion'));
  if (record.roleArn !== undefined && check.string(record.roleArn, join(path, 'roleArn')) && !parseRoleArn(record.roleArn)) {
    check.fail(join(path, 'roleArn'), `${JSON.stringify(record.roleArn)} is not an IAM role ARN`);
  }
  if (record.endpointPublicAccess !== undefined) check.boolean(record.endpointPublicAccess, join(path, 'endpointPublicAccess'));
  if (record.endpointPrivateAccess !== undefined) check.boolean(record.endpointPrivateAccess, join(path, 'endpointPrivateAccess'));
  if (record.publicAccessCidrs !== undefined) check.stringList(record.publicAccessCidrs, join(path, 'publicAccessCidrs'));
  if (record.loggingTypes !== undefined) check.stringList(record.loggingTypes, join(path, 'loggingTypes'), { oneOf: LOG_TYPES });
  if (record.authenticationMode !== undefined) check.string(record.authenticationMode, join(path, 'authenticationMode'), { oneOf: ['API', 'API_AND_CONFIG_MAP', 'CONFIG_MAP'] });
  if (record.healthIssues !== undefined) checkHealthIssues(check, record.healthIssues, join(path, 'healthIssues'));
  if (record.nodegroups !== undefined) {
    const seen = new Set<string>();
    check.array(record.nodegroups, join(path, 'nodegroups'))?.forEach((nodegroup, index) => {
      const nodegroupPath = `${join(path, 'nodegroups')}[${index}]`;
      checkNodegroup(check, nodegroup, nodegroupPath);
      const name = (nodegroup as { name?: unknown } | null)?.name;
      if (typeof name === 'string') {
        if (seen.has(name)) check.fail(join(nodegroupPath, 'name'), `duplicate nodegroup name ${JSON.stringify(name)}`);
        seen.add(name);
      }
    });
  }
}

function checkRole(check: SeedChecker, value: unknown, path: string): void {
  const record = check.object(value, path, ['name', 'path', 'accountId', 'trustService', 'assumeRolePolicyDocument', 'inlinePolicies', 'description', 'maxSessionDuration', 'tags']);
  if (!record) return;
  check.string(record.name, join(path, 'name'), { min: 1, max: 64, pattern: IAM_NAME_PATTERN, hint: 'may contain only letters, digits and +=,.@_-' });
  if (record.path !== undefined) check.string(record.path, join(path, 'path'), { max: 512, pattern: IAM_PATH_PATTERN, hint: 'must start and end with /' });
  if (record.accountId !== undefined) check.string(record.accountId, join(path, 'accountId'), { pattern: ACCOUNT_ID_PATTERN, hint: 'must be 12 digits' });
  if (record.trustService !== undefined) check.string(record.trustService, join(path, 'trustService'), { pattern: /^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$/, hint: 'must be a service principal such as ssm.amazonaws.com' });
  if (record.assumeRolePolicyDocument !== undefined) check.policy(record.assumeRolePolicyDocument, join(path, 'assumeRolePolicyDocument'));
  if (record.inlinePolicies !== undefined) {
    const policies = check.object(record.inlinePolicies, join(path, 'inlinePolicies'), Object.keys(typeof record.inlinePolicies === 'object' && record.inlinePolicies !== null ? record.inlinePolicies : {}));
    for (const [name, policy] of Object.entries(policies ?? {})) {
      if (!IAM_NAME_PATTERN.test(name) || name.length > 128) check.fail(join(join(path, 'inlinePolicies'), name), 'policy name may contain only letters, digits and +=,.@_- (1–128 characters)');
      check.policy(policy, join(join(path, 'inlinePolicies'), name));
    }
  }
  if (record.description !== undefined) check.string(record.description, join(path, 'description'), { max: 1000 });
  if (record.maxSessionDuration !== undefined) check.integer(record.maxSessionDuration, join(path, 'maxSessionDuration'), 3600, 43200);
  if (record.tags !== undefined) check.stringMap(record.tags, join(path, 'tags'));
}

/** Validates an untrusted value (parsed JSON) and returns it typed as a Seed, or throws SeedValidationError. */
export function validateSeed(input: unknown, source?: string): Seed {
  const check = new SeedChecker();
  const root = check.object(input, '', ['accountId', 'identities', 'strictIdentities', 'timings', 'regions', 'iam']);
  if (root) {
    if (root.accountId !== undefined) check.string(root.accountId, 'accountId', { pattern: ACCOUNT_ID_PATTERN, hint: 'must be 12 digits' });
    if (root.strictIdentities !== undefined) check.boolean(root.strictIdentities, 'strictIdentities');
    if (root.identities !== undefined) {
      const keys = new Set<string>();
      check.array(root.identities, 'identities')?.forEach((identity, index) => {
        const path = `identities[${index}]`;
        const record = check.object(identity, path, ['accessKeyId', 'secretAccessKey', 'arn', 'deny']);
        if (!record) return;
        if (check.string(record.accessKeyId, join(path, 'accessKeyId'), { pattern: ACCESS_KEY_PATTERN, hint: 'must be 16–128 upper-case letters and digits, like AKIAIOSFODNN7EXAMPLE' })) {
          if (keys.has(record.accessKeyId)) check.fail(join(path, 'accessKeyId'), 'is used by another identity');
          keys.add(record.accessKeyId);
        }
        if (record.secretAccessKey !== undefined) check.string(record.secretAccessKey, join(path, 'secretAccessKey'), { min: 1 });
        if (check.string(record.arn, join(path, 'arn')) && !principalAccount(record.arn)) {
          check.fail(join(path, 'arn'), `${JSON.stringify(record.arn)} is not a user, role, root or assumed-role ARN`);
        }
        if (record.deny !== undefined) {
          check.array(record.deny, join(path, 'deny'))?.forEach((rule, ruleIndex) => {
            const rulePath = `${join(path, 'deny')}[${ruleIndex}]`;
            const ruleRecord = check.object(rule, rulePath, ['action', 'regions']);
            if (!ruleRecord) return;
            check.string(ruleRecord.action, join(rulePath, 'action'), { pattern: ACTION_PATTERN, hint: 'must look like service:Action, e.g. eks:ListClusters, eks:* or iam:PassRole' });
            if (ruleRecord.regions !== undefined) check.stringList(ruleRecord.regions, join(rulePath, 'regions'), { pattern: REGION_PATTERN });
          });
        }
      });
    }
    if (root.timings !== undefined) {
      const timings = check.object(root.timings, 'timings', ['deregisterSeconds', 'updateSeconds', 'createSeconds']);
      for (const key of ['deregisterSeconds', 'updateSeconds', 'createSeconds'] as const) {
        if (timings?.[key] !== undefined) check.number(timings[key], `timings.${key}`, 0);
      }
    }
    if (root.regions !== undefined) {
      const regions = check.object(root.regions, 'regions', Object.keys(typeof root.regions === 'object' && root.regions !== null ? root.regions : {}));
      for (const [region, regionValue] of Object.entries(regions ?? {})) {
        const path = join('regions', region);
        if (!REGION_PATTERN.test(region)) check.fail(path, `${JSON.stringify(region)} is not a region name such as us-west-2`);
        const regionRecord = check.object(regionValue, path, ['connectedClusterQuota', 'clusters']);
        if (!regionRecord) continue;
        if (regionRecord.connectedClusterQuota !== undefined) check.integer(regionRecord.connectedClusterQuota, join(path, 'connectedClusterQuota'), 0);
        const names = new Set<string>();
        if (regionRecord.clusters !== undefined) {
          check.array(regionRecord.clusters, join(path, 'clusters'))?.forEach((cluster, index) => checkCluster(check, cluster, `${join(path, 'clusters')}[${index}]`, names));
        }
      }
    }
    if (root.iam !== undefined) {
      const iam = check.object(root.iam, 'iam', ['roles']);
      if (iam?.roles !== undefined) {
        const names = new Set<string>();
        check.array(iam.roles, 'iam.roles')?.forEach((role, index) => {
          checkRole(check, role, `iam.roles[${index}]`);
          const record = role as { name?: unknown; accountId?: unknown } | null;
          if (typeof record?.name === 'string') {
            const key = `${String(record.accountId ?? '')}/${record.name.toLowerCase()}`;
            if (names.has(key)) check.fail(`iam.roles[${index}].name`, `duplicate role name ${JSON.stringify(record.name)} (IAM role names are case-insensitive)`);
            names.add(key);
          }
        });
      }
    }
  }
  if (check.issues.length > 0) throw new SeedValidationError(check.issues, source);
  return input as Seed;
}

/** Reads and validates a seed file; JSON syntax errors are reported as seed issues too. */
export async function loadSeedFile(path: string): Promise<Seed> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new SeedValidationError([{ path: '', message: `cannot read seed file: ${(error as Error).message}` }], path);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SeedValidationError([{ path: '', message: `not valid JSON: ${(error as Error).message}` }], path);
  }
  return validateSeed(parsed, path);
}

// The emulator's whole world as plain JSON-serialisable records, keyed by account and region exactly as AWS scopes
// them, and how a seed turns into one. Timestamps are epoch milliseconds on the emulator clock.
import { clusterArn, partitionOf, roleArn } from './arns';
import { activationCode, hexId, roleId, uuid, wordSuffix } from './ids';
import type {
  ClusterStatus, ConnectorProvider, NodegroupStatus, Seed, SeedCluster, SeedDeny, SeedHealthIssue, SeedNodegroup, SeedRole,
} from './seed';

export const ACTIVATION_LIFETIME_MS = 72 * 3600 * 1000;
export const DEFAULT_ACCOUNT_ID = '000000000000';
export const DEFAULT_CONNECTED_CLUSTER_QUOTA = 10;
export const CONNECTOR_REGISTRATION_LIMIT = 2;
export const CONNECTOR_AGENT_VERSION = '3.2.2303.0';
/** How long a cluster seeded as CREATING takes to become ACTIVE, unless the seed says (about what EKS takes). */
export const DEFAULT_CREATE_SECONDS = 600;

export interface HealthIssue {
  code: string;
  message: string;
  resourceIds: string[];
}

export interface ConnectorRecord {
  provider: ConnectorProvider;
  roleArn: string;
  activationId: string;
  activationCode: string;
  activationExpiry: number;
  /** Reported by the agent once connected; shown only while ACTIVE. */
  kubernetesVersion?: string;
}

export interface NodegroupRecord {
  name: string;
  arn: string;
  status: NodegroupStatus;
  createdAt: number;
  modifiedAt: number;
  version: string;
  releaseVersion: string;
  instanceTypes: string[];
  minSize: number;
  maxSize: number;
  desiredSize: number;
  labels: Record<string, string>;
  amiType: string;
  capacityType: string;
  diskSize: number;
  nodeRole: string;
  subnets: string[];
  tags: Record<string, string>;
  healthIssues: HealthIssue[];
  autoScalingGroupName: string;
}

export type UpdateChange =
  | { kind: 'endpointAccess'; endpointPublicAccess: boolean; endpointPrivateAccess: boolean; publicAccessCidrs: string[] }
  | { kind: 'logging'; enabledTypes: string[] }
  | { kind: 'accessConfig'; authenticationMode: string }
  | { kind: 'version'; version: string; platformVersion: string }
  | { kind: 'nodegroupConfig'; minSize?: number; maxSize?: number; desiredSize?: number; addLabels: Record<string, string>; removeLabels: string[] }
  | { kind: 'nodegroupVersion'; version: string; releaseVersion: string }
  /** An update the seed says is under way without saying what it changes. */
  | { kind: 'seeded' };

export type UpdateStatus = 'InProgress' | 'Successful' | 'Failed' | 'Cancelled';

export interface UpdateRecord {
  id: string;
  type: string;
  status: UpdateStatus;
  params: { type: string; value: string }[];
  createdAt: number;
  completesAt: number;
  nodegroupName?: string;
  change: UpdateChange;
}

export interface EksDetails {
  version: string;
  platformVersion: string;
  roleArn: string;
  endpoint: string;
  certificateData: string;
  oidcIssuer: string;
  vpcId: string;
  subnetIds: string[];
  securityGroupIds: string[];
  clusterSecurityGroupId: string;
  endpointPublicAccess: boolean;
  endpointPrivateAccess: boolean;
  publicAccessCidrs: string[];
  serviceIpv4Cidr: string;
  loggingTypes: string[];
  authenticationMode: string;
  healthIssues: HealthIssue[];
  nodegroups: Record<string, NodegroupRecord>;
  updates: UpdateRecord[];
}

export interface ClusterRecord {
  name: string;
  arn: string;
  createdAt: number;
  status: ClusterStatus;
  tags: Record<string, string>;
  connector?: ConnectorRecord;
  eks?: EksDetails;
  /** Set by DeregisterCluster: the cluster disappears at this time. */
  deleteAt?: number;
  /** Set for a cluster seeded as CREATING: it becomes ACTIVE at this time. */
  activeAt?: number;
}

export interface ActivationRecord {
  id: string;
  code: string;
  iamRole: string;
  description: string;
  defaultInstanceName: string;
  registrationLimit: number;
  registrationsCount: number;
  createdAt: number;
  expiresAt: number;
  clusterName: string;
}

export type PingStatus = 'Online' | 'ConnectionLost' | 'Inactive';
export const PING_STATUSES: readonly PingStatus[] = ['Online', 'ConnectionLost', 'Inactive'];

export interface InstanceRecord {
  id: string;
  activationId: string;
  clusterName: string;
  pingStatus: PingStatus;
  /** When the ping status last changed; Online instances report "now" as their last ping. */
  pingStatusSince: number;
  registeredAt: number;
  agentVersion: string;
  iamRole: string;
  computerName: string;
  fingerprint: string;
}

export interface IdempotencyRecord {
  fingerprint: string;
  /** Cluster name (RegisterCluster) or update id (Update* operations). */
  result: string;
  /** The RegisterCluster response body, returned again when the cluster is already gone. */
  response?: string;
}

export interface RegionState {
  clusters: Record<string, ClusterRecord>;
  activations: Record<string, ActivationRecord>;
  instances: Record<string, InstanceRecord>;
  idempotency: Record<string, IdempotencyRecord>;
}

export interface RoleRecord {
  name: string;
  path: string;
  id: string;
  arn: string;
  createdAt: number;
  assumeRolePolicyDocument: string;
  description?: string;
  maxSessionDuration: number;
  tags: Record<string, string>;
  inlinePolicies: Record<string, string>;
}

export interface AccountState {
  /** Keyed by lower-cased role name: IAM role names are unique regardless of case. */
  roles: Record<string, RoleRecord>;
  regions: Record<string, RegionState>;
}

export interface IdentityRecord {
  accessKeyId: string;
  secretAccessKey?: string;
  arn: string;
  deny: SeedDeny[];
}

export interface SessionRecord {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  arn: string;
  accountId: string;
  roleArn: string;
  roleId: string;
  sessionName: string;
  /** Wall-clock expiry (not the emulator clock), matching when the SDK refreshes the credentials. */
  expiresAtWallClock: number;
  /** Denies of seed identities declared with the role's ARN: a session has the role's permissions. */
  deny: SeedDeny[];
}

export interface EmulatorState {
  formatVersion: 1;
  clockOffsetMs: number;
  defaultAccountId: string;
  strictIdentities: boolean;
  iamDeclared: boolean;
  timings: { deregisterSeconds: number; updateSeconds: number };
  connectedClusterQuotas: Record<string, number>;
  identities: Record<string, IdentityRecord>;
  sessions: Record<string, SessionRecord>;
  accounts: Record<string, AccountState>;
}

export function emptyRegion(): RegionState {
  return { clusters: {}, activations: {}, instances: {}, idempotency: {} };
}

export function accountState(state: EmulatorState, accountId: string): AccountState {
  let account = state.accounts[accountId];
  if (!account) {
    account = { roles: {}, regions: {} };
    state.accounts[accountId] = account;
  }
  return account;
}

export function regionState(state: EmulatorState, accountId: string, region: string): RegionState {
  const account = accountState(state, accountId);
  let regionRecord = account.regions[region];
  if (!regionRecord) {
    regionRecord = emptyRegion();
    account.regions[region] = regionRecord;
  }
  return regionRecord;
}

export function trustPolicyForService(service: string): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] });
}

function policyText(policy: Record<string, unknown> | string): string {
  return typeof policy === 'string' ? policy : JSON.stringify(policy);
}

function fakeCertificateData(): string {
  const body = Buffer.from(`emulated-cluster-ca-${uuid()}-${uuid()}`).toString('base64');
  return Buffer.from(`-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`).toString('base64');
}

function healthIssues(issues: SeedHealthIssue[] | undefined): HealthIssue[] {
  return (issues ?? []).map((issue) => ({ code: issue.code, message: issue.message, resourceIds: issue.resourceIds ?? [] }));
}

export interface NewActivation {
  clusterName: string;
  roleName: string;
  createdAt: number;
}

export function createActivation(region: RegionState, input: NewActivation): ActivationRecord {
  const activation: ActivationRecord = {
    id: uuid(),
    code: activationCode(),
    iamRole: input.roleName,
    description: `Amazon EKS Connector activation for cluster ${input.clusterName}`,
    defaultInstanceName: `eks_c:${input.clusterName}`,
    registrationLimit: CONNECTOR_REGISTRATION_LIMIT,
    registrationsCount: 0,
    createdAt: input.createdAt,
    expiresAt: input.createdAt + ACTIVATION_LIFETIME_MS,
    clusterName: input.clusterName,
  };
  region.activations[activation.id] = activation;
  return activation;
}

export function registerInstance(region: RegionState, activation: ActivationRecord, now: number, fingerprint: string): InstanceRecord {
  activation.registrationsCount += 1;
  const instance: InstanceRecord = {
    id: `eks_c:${activation.clusterName}_${wordSuffix(17)}`,
    activationId: activation.id,
    clusterName: activation.clusterName,
    pingStatus: 'Online',
    pingStatusSince: now,
    registeredAt: now,
    agentVersion: CONNECTOR_AGENT_VERSION,
    iamRole: activation.iamRole,
    computerName: `eks-connector-${activation.registrationsCount - 1}`,
    fingerprint,
  };
  region.instances[instance.id] = instance;
  return instance;
}

function seedConnectedCluster(region: RegionState, regionName: string, accountId: string, seed: SeedCluster, now: number): ClusterRecord {
  const connector = seed.connector!;
  const registeredAt = connector.registeredAt ? Date.parse(connector.registeredAt) : now;
  const roleName = connector.roleArn.slice(connector.roleArn.lastIndexOf('/') + 1);
  const activation = createActivation(region, { clusterName: seed.name, roleName, createdAt: registeredAt });
  const status = connector.status ?? 'PENDING';
  if (status === 'ACTIVE') {
    // A connected cluster has two agent replicas, each registered as one managed instance.
    for (let replica = 0; replica < CONNECTOR_REGISTRATION_LIMIT; replica++) registerInstance(region, activation, registeredAt + 60_000, uuid());
  }
  return {
    name: seed.name,
    arn: clusterArn(regionName, accountId, seed.name),
    createdAt: seed.createdAt ? Date.parse(seed.createdAt) : registeredAt,
    status,
    tags: { ...seed.tags },
    connector: {
      provider: connector.provider,
      roleArn: connector.roleArn,
      activationId: activation.id,
      activationCode: activation.code,
      activationExpiry: activation.expiresAt,
      kubernetesVersion: connector.version,
    },
  };
}

function seedNodegroup(regionName: string, accountId: string, cluster: SeedCluster, details: EksDetails, seed: SeedNodegroup, createdAt: number): NodegroupRecord {
  const partition = partitionOf(regionName);
  const suffix = uuid();
  const minSize = seed.minSize ?? 1;
  const maxSize = seed.maxSize ?? Math.max(3, minSize);
  const version = seed.version ?? details.version;
  return {
    name: seed.name,
    arn: `arn:${partition}:eks:${regionName}:${accountId}:nodegroup/${cluster.name}/${seed.name}/${suffix}`,
    status: seed.status ?? 'ACTIVE',
    createdAt,
    modifiedAt: createdAt,
    version,
    releaseVersion: seed.releaseVersion ?? `${version}.0-20260101`,
    instanceTypes: seed.instanceTypes ?? ['m5.large'],
    minSize,
    maxSize,
    desiredSize: seed.desiredSize ?? minSize,
    labels: { ...seed.labels },
    amiType: seed.amiType ?? 'AL2023_x86_64_STANDARD',
    capacityType: seed.capacityType ?? 'ON_DEMAND',
    diskSize: seed.diskSize ?? 20,
    nodeRole: seed.nodeRole ?? roleArn(partition, accountId, '/', 'eks-node-role'),
    subnets: seed.subnets ?? details.subnetIds,
    tags: { ...seed.tags },
    healthIssues: healthIssues(seed.healthIssues),
    autoScalingGroupName: `eks-${seed.name}-${suffix}`,
  };
}

/** Seeded transitions end on the emulator clock, as the emulator's own updates do. */
export interface SeedTransitionTimes {
  readonly createSeconds: number;
  readonly updateSeconds: number;
}

function seedEksCluster(regionName: string, accountId: string, seed: SeedCluster, now: number, times: SeedTransitionTimes): ClusterRecord {
  const partition = partitionOf(regionName);
  const createdAt = seed.createdAt ? Date.parse(seed.createdAt) : now;
  const vpcSuffix = hexId(17).toLowerCase();
  const details: EksDetails = {
    version: seed.version ?? '1.31',
    platformVersion: seed.platformVersion ?? 'eks.1',
    roleArn: seed.roleArn ?? roleArn(partition, accountId, '/', 'eks-cluster-role'),
    endpoint: `https://${hexId(32)}.gr7.${regionName}.eks.amazonaws.com`,
    certificateData: fakeCertificateData(),
    oidcIssuer: `https://oidc.eks.${regionName}.amazonaws.com/id/${hexId(32)}`,
    vpcId: `vpc-${vpcSuffix}`,
    subnetIds: [0, 1, 2].map(() => `subnet-${hexId(17).toLowerCase()}`),
    securityGroupIds: [],
    clusterSecurityGroupId: `sg-${hexId(17).toLowerCase()}`,
    endpointPublicAccess: seed.endpointPublicAccess ?? true,
    endpointPrivateAccess: seed.endpointPrivateAccess ?? false,
    publicAccessCidrs: seed.publicAccessCidrs ?? ['0.0.0.0/0'],
    serviceIpv4Cidr: '10.100.0.0/16',
    loggingTypes: seed.loggingTypes ?? [],
    authenticationMode: seed.authenticationMode ?? 'API_AND_CONFIG_MAP',
    healthIssues: healthIssues(seed.healthIssues),
    nodegroups: {},
    updates: [],
  };
  for (const nodegroup of seed.nodegroups ?? []) details.nodegroups[nodegroup.name] = seedNodegroup(regionName, accountId, seed, details, nodegroup, createdAt);
  const status = seed.status ?? 'ACTIVE';
  // A cluster seeded mid-update carries an update in progress, which ends (and is listed) like one the emulator started.
  if (status === 'UPDATING') {
    details.updates.push({ id: uuid(), type: 'ConfigUpdate', status: 'InProgress', params: [], createdAt: now, completesAt: now + times.updateSeconds * 1000, change: { kind: 'seeded' } });
  }
  return {
    name: seed.name,
    arn: clusterArn(regionName, accountId, seed.name),
    createdAt,
    status,
    tags: { ...seed.tags },
    eks: details,
    activeAt: status === 'CREATING' ? now + times.createSeconds * 1000 : undefined,
  };
}

export function roleFromSeed(seed: SeedRole, accountId: string, now: number): RoleRecord {
  const path = seed.path ?? '/';
  const inlinePolicies: Record<string, string> = {};
  for (const [name, policy] of Object.entries(seed.inlinePolicies ?? {})) inlinePolicies[name] = policyText(policy);
  return {
    name: seed.name,
    path,
    id: roleId(),
    arn: roleArn('aws', accountId, path, seed.name),
    createdAt: now,
    assumeRolePolicyDocument: seed.assumeRolePolicyDocument !== undefined
      ? policyText(seed.assumeRolePolicyDocument)
      : trustPolicyForService(seed.trustService ?? 'ssm.amazonaws.com'),
    description: seed.description,
    maxSessionDuration: seed.maxSessionDuration ?? 3600,
    tags: { ...seed.tags },
    inlinePolicies,
  };
}

/** Builds a fresh world from a (validated) seed. */
export function stateFromSeed(seed: Seed, now: number): EmulatorState {
  const defaultAccountId = seed.accountId ?? DEFAULT_ACCOUNT_ID;
  const state: EmulatorState = {
    formatVersion: 1,
    clockOffsetMs: 0,
    defaultAccountId,
    strictIdentities: seed.strictIdentities ?? false,
    iamDeclared: seed.iam !== undefined,
    timings: { deregisterSeconds: seed.timings?.deregisterSeconds ?? 5, updateSeconds: seed.timings?.updateSeconds ?? 30 },
    connectedClusterQuotas: {},
    identities: {},
    sessions: {},
    accounts: {},
  };
  for (const identity of seed.identities ?? []) {
    state.identities[identity.accessKeyId] = { accessKeyId: identity.accessKeyId, secretAccessKey: identity.secretAccessKey, arn: identity.arn, deny: identity.deny ?? [] };
  }
  const times: SeedTransitionTimes = { createSeconds: seed.timings?.createSeconds ?? DEFAULT_CREATE_SECONDS, updateSeconds: state.timings.updateSeconds };
  for (const [regionName, regionSeed] of Object.entries(seed.regions ?? {})) {
    if (regionSeed.connectedClusterQuota !== undefined) state.connectedClusterQuotas[regionName] = regionSeed.connectedClusterQuota;
    const region = regionState(state, defaultAccountId, regionName);
    for (const cluster of regionSeed.clusters ?? []) {
      region.clusters[cluster.name] = cluster.connector
        ? seedConnectedCluster(region, regionName, defaultAccountId, cluster, now)
        : seedEksCluster(regionName, defaultAccountId, cluster, now, times);
    }
  }
  for (const role of seed.iam?.roles ?? []) {
    const accountId = role.accountId ?? defaultAccountId;
    accountState(state, accountId).roles[role.name.toLowerCase()] = roleFromSeed(role, accountId, now);
  }
  return state;
}

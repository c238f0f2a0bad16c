// Amazon EKS (restJson1): cluster registration through the EKS Connector, listing and describing clusters, and
// the read/update APIs of EKS-managed clusters (nodegroups, updates, tags).
import { CLUSTER_NAME_PATTERN, clusterArn, parseRoleArn, partitionOf } from './arns';
import { asRecord, authorize, optionalString, requireCaller, type JsonRecord, type ServiceCall } from './context';
import { uuid } from './ids';
import { findCluster, inProgressUpdate, settleRegion } from './lifecycle';
import { ApiError, constraintMessage, epochSeconds, type JsonOut } from './protocols';
import { CONNECTOR_PROVIDERS, LOG_TYPES, type ConnectorProvider } from './seed';
import {
  createActivation, type ClusterRecord, type EksDetails, type NodegroupRecord, type RegionState, type UpdateChange, type UpdateRecord,
} from './state';
import { compareStrings, pageAfter } from './tokens';

export interface EksRequest {
  method: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: JsonRecord;
}

type EksHandler = (call: ServiceCall, request: EksRequest) => JsonOut;

interface EksRoute {
  method: string;
  segments: string[];
  operation: string;
}

const ROUTE_TABLE: [string, string, string][] = [
  ['POST', '/cluster-registrations', 'RegisterCluster'],
  ['DELETE', '/cluster-registrations/{name}', 'DeregisterCluster'],
  ['GET', '/clusters', 'ListClusters'],
  ['GET', '/clusters/{name}', 'DescribeCluster'],
  ['GET', '/clusters/{name}/node-groups', 'ListNodegroups'],
  ['GET', '/clusters/{name}/node-groups/{nodegroupName}', 'DescribeNodegroup'],
  ['POST', '/clusters/{name}/node-groups/{nodegroupName}/update-config', 'UpdateNodegroupConfig'],
  ['POST', '/clusters/{name}/node-groups/{nodegroupName}/update-version', 'UpdateNodegroupVersion'],
  ['GET', '/clusters/{name}/updates', 'ListUpdates'],
  ['GET', '/clusters/{name}/updates/{updateId}', 'DescribeUpdate'],
  ['POST', '/clusters/{name}/update-config', 'UpdateClusterConfig'],
  ['POST', '/clusters/{name}/updates', 'UpdateClusterVersion'],
  ['GET', '/tags/{resourceArn}', 'ListTagsForResource'],
  ['POST', '/tags/{resourceArn}', 'TagResource'],
  ['DELETE', '/tags/{resourceArn}', 'UntagResource'],
];

const ROUTES: EksRoute[] = ROUTE_TABLE.map(([method, path, operation]) => ({ method, segments: path.split('/').filter(Boolean), operation }));

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** Matches a raw (still percent-encoded) path, so an encoded `/` inside an ARN label stays inside the label. */
export function matchEksRoute(method: string, rawPath: string): { operation: string; params: Record<string, string> } | undefined {
  const segments = rawPath.split('/').filter(Boolean);
  for (const route of ROUTES) {
    if (route.method !== method || route.segments.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let matched = true;
    for (let index = 0; index < segments.length && matched; index++) {
      const expected = route.segments[index];
      const decoded = decodeSegment(segments[index]);
      if (decoded === undefined) matched = false;
      else if (expected.startsWith('{')) params[expected.slice(1, -1)] = decoded;
      else matched = expected === decoded;
    }
    if (matched) return { operation: route.operation, params };
  }
  return undefined;
}

// ---- errors ---------------------------------------------------------------------------------------------------

function invalidParameter(message: string, fields: Record<string, string> = {}): ApiError {
  return new ApiError('InvalidParameterException', 400, message, fields);
}

function invalidRequest(message: string, fields: Record<string, string> = {}): ApiError {
  return new ApiError('InvalidRequestException', 400, message, fields);
}

function clusterNotFound(name: string): ApiError {
  return new ApiError('ResourceNotFoundException', 404, `No cluster found for name: ${name}.`, { clusterName: name });
}

// ---- views ----------------------------------------------------------------------------------------------------

function hasLiveEndpoint(cluster: ClusterRecord): boolean {
  return cluster.status === 'ACTIVE' || cluster.status === 'UPDATING';
}

function loggingView(enabledTypes: string[]): JsonOut {
  const disabled = LOG_TYPES.filter((type) => !enabledTypes.includes(type));
  const groups: JsonOut[] = [];
  if (enabledTypes.length > 0) groups.push({ types: [...enabledTypes], enabled: true });
  if (disabled.length > 0) groups.push({ types: disabled, enabled: false });
  return { clusterLogging: groups };
}

export function clusterView(cluster: ClusterRecord, options: { includeActivationCode: boolean }): JsonOut {
  const base = { name: cluster.name, arn: cluster.arn, createdAt: epochSeconds(cluster.createdAt), status: cluster.status, tags: { ...cluster.tags } };
  if (cluster.connector) {
    const connector = cluster.connector;
    return {
      ...base,
      version: cluster.status === 'ACTIVE' ? connector.kubernetesVersion : undefined,
      connectorConfig: {
        activationId: connector.activationId,
        activationCode: options.includeActivationCode ? connector.activationCode : undefined,
        activationExpiry: epochSeconds(connector.activationExpiry),
        provider: connector.provider,
        roleArn: connector.roleArn,
      },
    };
  }
  const details = cluster.eks!;
  const live = hasLiveEndpoint(cluster);
  return {
    ...base,
    version: details.version,
    endpoint: live ? details.endpoint : undefined,
    roleArn: details.roleArn,
    resourcesVpcConfig: {
      subnetIds: details.subnetIds,
      securityGroupIds: details.securityGroupIds,
      clusterSecurityGroupId: details.clusterSecurityGroupId,
      vpcId: details.vpcId,
      endpointPublicAccess: details.endpointPublicAccess,
      endpointPrivateAccess: details.endpointPrivateAccess,
      publicAccessCidrs: details.publicAccessCidrs,
    },
    kubernetesNetworkConfig: { serviceIpv4Cidr: details.serviceIpv4Cidr, ipFamily: 'ipv4', elasticLoadBalancing: { enabled: false } },
    logging: loggingView(details.loggingTypes),
    identity: { oidc: { issuer: details.oidcIssuer } },
    certificateAuthority: live ? { data: details.certificateData } : undefined,
    platformVersion: details.platformVersion,
    accessConfig: { authenticationMode: details.authenticationMode },
    health: { issues: details.healthIssues.map((issue) => ({ code: issue.code, message: issue.message, resourceIds: issue.resourceIds })) },
    upgradePolicy: { supportType: 'STANDARD' },
    deletionProtection: false,
  };
}

function nodegroupView(cluster: ClusterRecord, nodegroup: NodegroupRecord): JsonOut {
  return {
    nodegroupName: nodegroup.name,
    nodegroupArn: nodegroup.arn,
    clusterName: cluster.name,
    version: nodegroup.version,
    releaseVersion: nodegroup.releaseVersion,
    createdAt: epochSeconds(nodegroup.createdAt),
    modifiedAt: epochSeconds(nodegroup.modifiedAt),
    status: nodegroup.status,
    capacityType: nodegroup.capacityType,
    scalingConfig: { minSize: nodegroup.minSize, maxSize: nodegroup.maxSize, desiredSize: nodegroup.desiredSize },
    instanceTypes: nodegroup.instanceTypes,
    subnets: nodegroup.subnets,
    amiType: nodegroup.amiType,
    nodeRole: nodegroup.nodeRole,
    labels: { ...nodegroup.labels },
    resources: { autoScalingGroups: [{ name: nodegroup.autoScalingGroupName }] },
    diskSize: nodegroup.diskSize,
    health: { issues: nodegroup.healthIssues.map((issue) => ({ code: issue.code, message: issue.message, resourceIds: issue.resourceIds })) },
    updateConfig: { maxUnavailable: 1 },
    tags: { ...nodegroup.tags },
  };
}

function updateView(update: UpdateRecord): JsonOut {
  return {
    id: update.id,
    status: update.status,
    type: update.type,
    params: update.params.map((param) => ({ type: param.type, value: param.value })),
    createdAt: epochSeconds(update.createdAt),
    errors: [],
  };
}

// ---- validation -----------------------------------------------------------------------------------------------

const CLUSTER_NAME_CONSTRAINT = 'Member must satisfy regular expression pattern: ^[0-9A-Za-z][A-Za-z0-9\\-_]*';

function validateClusterName(value: unknown, member: string): string {
  if (value === undefined || value === null) throw invalidParameter(`1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  if (typeof value !== 'string') throw invalidParameter(constraintMessage(value, member, 'Member must be a string'));
  if (value.length < 1) throw invalidParameter(constraintMessage(value, member, 'Member must have length greater than or equal to 1'));
  if (value.length > 100) throw invalidParameter(constraintMessage(value, member, 'Member must have length less than or equal to 100'));
  if (!CLUSTER_NAME_PATTERN.test(value)) throw invalidParameter(constraintMessage(value, member, CLUSTER_NAME_CONSTRAINT));
  return value;
}

/** Tag rules shared by RegisterCluster (InvalidParameterException) and TagResource (BadRequestException). */
function validateTags(value: unknown, fail: (message: string) => ApiError): Record<string, string> {
  const tags = asRecord(value);
  if (!tags) throw fail(constraintMessage(value, 'tags', 'Member must be a map of strings'));
  const entries = Object.entries(tags);
  if (entries.length < 1) throw fail(constraintMessage('{}', 'tags', 'Member must have length greater than or equal to 1'));
  if (entries.length > 50) throw fail(constraintMessage(`${entries.length} tags`, 'tags', 'Member must have length less than or equal to 50'));
  const result: Record<string, string> = {};
  for (const [key, tagValue] of entries) {
    if (key.length < 1 || key.length > 128) throw fail(constraintMessage(key, 'tags', 'Map keys must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]'));
    if (typeof tagValue !== 'string') throw fail(constraintMessage(tagValue, `tags.${key}`, 'Member must be a string'));
    if (tagValue.length > 256) throw fail(constraintMessage(tagValue, `tags.${key}`, 'Map value must satisfy constraint: [Member must have length less than or equal to 256]'));
    if (key.toLowerCase().startsWith('aws:')) throw fail(`Tag key ${key} is invalid: keys beginning with 'aws:' are reserved for AWS use.`);
    result[key] = tagValue;
  }
  return result;
}

function parseMaxResults(query: URLSearchParams, fallback: number): number {
  const raw = query.get('maxResults');
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 100) {
    throw invalidParameter(`${constraintMessage(raw, 'maxResults', 'Member must have value between 1 and 100')}`);
  }
  return value;
}

function pageCursor(call: ServiceCall, query: URLSearchParams, scope: string): string | undefined {
  const token = query.get('nextToken');
  if (token === null) return undefined;
  const cursor = call.world.tokens.decode(token, scope);
  if (!cursor) throw invalidParameter('The nextToken provided is not valid.');
  return cursor.after;
}

function nextToken(call: ServiceCall, scope: string, last: string | undefined): string | undefined {
  return last === undefined ? undefined : call.world.tokens.encode({ scope, after: last });
}

// ---- shared lookups -------------------------------------------------------------------------------------------

interface Located {
  accountId: string;
  region: RegionState;
}

function locate(call: ServiceCall): Located {
  const caller = requireCaller(call);
  return { accountId: caller.accountId, region: call.world.region(caller.accountId, call.region) };
}

function existingCluster(call: ServiceCall, located: Located, name: string): ClusterRecord {
  const cluster = findCluster(located.region, name, call.now);
  if (!cluster) throw clusterNotFound(name);
  return cluster;
}

/** The EKS-managed-only APIs refuse registered clusters, as the connector docs say they are unsupported. */
function managedCluster(call: ServiceCall, located: Located, name: string): ClusterRecord & { eks: EksDetails } {
  const cluster = existingCluster(call, located, name);
  if (!cluster.eks) {
    throw invalidRequest(`${call.operation} is not supported for registered cluster ${name}; only RegisterCluster, DescribeCluster, ListClusters and DeregisterCluster apply to connected clusters.`, { clusterName: name });
  }
  return cluster as ClusterRecord & { eks: EksDetails };
}

function nodegroupOf(cluster: ClusterRecord & { eks: EksDetails }, name: string): NodegroupRecord {
  const nodegroup = cluster.eks.nodegroups[name];
  if (!nodegroup) throw new ApiError('ResourceNotFoundException', 404, `No node group found for name: ${name}.`, { clusterName: cluster.name, nodegroupName: name });
  return nodegroup;
}

function arnFor(call: ServiceCall, accountId: string, name: string): string {
  return clusterArn(call.region, accountId, name);
}

// ---- idempotency ----------------------------------------------------------------------------------------------

function idempotencyKey(operation: string, token: string, target: string): string {
  return `${operation}:${target}:${token}`;
}

function idempotencyMismatch(token: string): ApiError {
  return invalidRequest(`The client request token ${token} was already used with different request parameters (idempotent parameter mismatch).`);
}

// ---- RegisterCluster / DeregisterCluster ----------------------------------------------------------------------

const UNSUPPORTED_REGION_PREFIXES = ['cn-', 'us-gov-'];

function registerCluster(call: ServiceCall, request: EksRequest): JsonOut {
  const located = locate(call);
  const { body } = request;
  const requestedName = typeof body.name === 'string' ? body.name : '';
  authorize(call, 'eks:RegisterCluster', arnFor(call, located.accountId, requestedName || '*'));
  if (UNSUPPORTED_REGION_PREFIXES.some((prefix) => call.region.startsWith(prefix))) {
    throw invalidRequest(`The Amazon EKS Connector is not available in region ${call.region}. Register the cluster in a commercial AWS Region.`);
  }
  const name = validateClusterName(body.name, 'name');
  const connectorConfig = asRecord(body.connectorConfig);
  if (!connectorConfig) throw invalidParameter(`1 validation error detected: Value null at 'connectorConfig' failed to satisfy constraint: Member must not be null`);
  const provider = connectorConfig.provider;
  if (typeof provider !== 'string' || !(CONNECTOR_PROVIDERS as readonly string[]).includes(provider)) {
    throw invalidParameter(constraintMessage(provider ?? null, 'connectorConfig.provider', `Member must satisfy enum value set: [${CONNECTOR_PROVIDERS.join(', ')}]`));
  }
  const roleArnValue = connectorConfig.roleArn;
  if (typeof roleArnValue !== 'string') throw invalidParameter(`1 validation error detected: Value null at 'connectorConfig.roleArn' failed to satisfy constraint: Member must not be null`);
  const role = parseRoleArn(roleArnValue);
  if (!role) throw invalidParameter(`Invalid connectorConfig.roleArn '${roleArnValue}': must be an IAM role ARN such as arn:aws:iam::123456789012:role/AmazonEKSConnectorAgentRole.`);
  if (role.partition !== partitionOf(call.region)) {
    throw invalidParameter(`Invalid connectorConfig.roleArn '${roleArnValue}': partition ${role.partition} does not match region ${call.region} (${partitionOf(call.region)}).`);
  }
  const tags = body.tags === undefined ? {} : validateTags(body.tags, invalidParameter);

  const token = optionalString(body, 'clientRequestToken');
  const fingerprint = JSON.stringify([name, provider, roleArnValue, Object.entries(tags).sort(([a], [b]) => compareStrings(a, b))]);
  if (token) {
    const previous = located.region.idempotency[idempotencyKey('RegisterCluster', token, '')];
    if (previous) {
      if (previous.fingerprint !== fingerprint) throw idempotencyMismatch(token);
      const cluster = findCluster(located.region, previous.result, call.now);
      if (cluster?.connector) return { cluster: clusterView(cluster, { includeActivationCode: true }) };
      return JSON.parse(previous.response ?? '{}') as JsonOut;
    }
  }

  const clusters = settleRegion(located.region, call.now);
  if (located.region.clusters[name]) {
    throw new ApiError('ResourceInUseException', 409, `Cluster already exists with name: ${name}`, { clusterName: name });
  }
  const quota = call.world.connectedClusterQuota(call.region);
  const connectedCount = clusters.filter((cluster) => cluster.connector && cluster.status !== 'DELETING').length;
  if (connectedCount >= quota) {
    throw new ApiError('ResourceLimitExceededException', 400, `Cannot register cluster ${name}: the account already has ${connectedCount} connected clusters in ${call.region}, the limit is ${quota}.`, { clusterName: name });
  }

  authorize(call, 'iam:PassRole', roleArnValue);
  if (call.world.state.iamDeclared) {
    const existing = call.world.account(role.accountId).roles[role.name.toLowerCase()];
    if (!existing || existing.path !== role.path) throw invalidRequest(`Not existing role: ${roleArnValue}`);
  }
  authorize(call, 'ssm:CreateActivation', `arn:${partitionOf(call.region)}:ssm:${call.region}:${located.accountId}:*`);

  const activation = createActivation(located.region, { clusterName: name, roleName: role.name, createdAt: call.now });
  const cluster: ClusterRecord = {
    name,
    arn: arnFor(call, located.accountId, name),
    createdAt: call.now,
    status: 'PENDING',
    tags,
    connector: {
      provider: provider as ConnectorProvider,
      roleArn: roleArnValue,
      activationId: activation.id,
      activationCode: activation.code,
      activationExpiry: activation.expiresAt,
    },
  };
  located.region.clusters[name] = cluster;
  const response: JsonOut = { cluster: clusterView(cluster, { includeActivationCode: true }) };
  if (token) located.region.idempotency[idempotencyKey('RegisterCluster', token, '')] = { fingerprint, result: name, response: JSON.stringify(response) };
  call.world.changed();
  return response;
}

/** The cluster a call names, once the caller may act on it: AccessDenied comes before ResourceNotFound, as in EKS. */
function authorizedClusterRequest(call: ServiceCall, request: EksRequest, action: string): { located: Located; name: string } {
  const located = locate(call);
  const name = request.params.name;
  authorize(call, action, arnFor(call, located.accountId, name));
  return { located, name };
}

/** The resource a nodegroup action is authorized against (its ARN ends in a generated id, hence the wildcard). */
function nodegroupResource(call: ServiceCall, accountId: string, clusterName: string, nodegroupName: string): string {
  return `arn:${partitionOf(call.region)}:eks:${call.region}:${accountId}:nodegroup/${clusterName}/${nodegroupName}/*`;
}

function deregisterCluster(call: ServiceCall, request: EksRequest): JsonOut {
  const { located, name } = authorizedClusterRequest(call, request, 'eks:DeregisterCluster');
  const cluster = existingCluster(call, located, name);
  if (!cluster.connector) {
    throw invalidRequest(`Cluster ${name} is an Amazon EKS cluster, not a registered cluster; it cannot be deregistered. Use DeleteCluster instead.`, { clusterName: name });
  }
  if (cluster.status === 'DELETING') throw new ApiError('ResourceInUseException', 409, `Cluster ${name} is already being deregistered.`, { clusterName: name });
  const ssmResource = `arn:${partitionOf(call.region)}:ssm:${call.region}:${located.accountId}:*`;
  authorize(call, 'ssm:DeleteActivation', ssmResource);
  authorize(call, 'ssm:DeregisterManagedInstance', ssmResource);

  delete located.region.activations[cluster.connector.activationId];
  for (const instance of Object.values(located.region.instances)) {
    if (instance.activationId === cluster.connector.activationId) delete located.region.instances[instance.id];
  }
  cluster.status = 'DELETING';
  cluster.deleteAt = call.now + call.world.state.timings.deregisterSeconds * 1000;
  const response = { cluster: clusterView(cluster, { includeActivationCode: false }) };
  call.world.changed();
  return response;
}

// ---- ListClusters / DescribeCluster ---------------------------------------------------------------------------

function listClusters(call: ServiceCall, request: EksRequest): JsonOut {
  const located = locate(call);
  authorize(call, 'eks:ListClusters', arnFor(call, located.accountId, '*'));
  const include = request.query.getAll('include');
  if (include.some((value) => value !== 'all')) {
    const bad = include.find((value) => value !== 'all');
    throw invalidParameter(`The include parameter value '${bad}' is not valid. The only valid value is 'all'.`);
  }
  const includeConnected = include.length > 0;
  const maxResults = parseMaxResults(request.query, 100);
  const scope = `eks:ListClusters:${located.accountId}:${call.region}:${includeConnected ? 'all' : 'eks'}`;
  const after = pageCursor(call, request.query, scope);
  const names = settleRegion(located.region, call.now)
    .filter((cluster) => includeConnected || !cluster.connector)
    .map((cluster) => cluster.name)
    .sort(compareStrings);
  const { page, last } = pageAfter(names, after, maxResults);
  return { clusters: page, nextToken: nextToken(call, scope, last) };
}

function describeCluster(call: ServiceCall, request: EksRequest): JsonOut {
  const { located, name } = authorizedClusterRequest(call, request, 'eks:DescribeCluster');
  return { cluster: clusterView(existingCluster(call, located, name), { includeActivationCode: false }) };
}

// ---- nodegroups -----------------------------------------------------------------------------------------------

function listNodegroups(call: ServiceCall, request: EksRequest): JsonOut {
  const { located, name } = authorizedClusterRequest(call, request, 'eks:ListNodegroups');
  const cluster = managedCluster(call, located, name);
  const maxResults = parseMaxResults(request.query, 100);
  const scope = `eks:ListNodegroups:${located.accountId}:${call.region}:${name}`;
  const after = pageCursor(call, request.query, scope);
  const { page, last } = pageAfter(Object.keys(cluster.eks.nodegroups).sort(compareStrings), after, maxResults);
  return { nodegroups: page, nextToken: nextToken(call, scope, last) };
}

function describeNodegroup(call: ServiceCall, request: EksRequest): JsonOut {
  const located = locate(call);
  const { name, nodegroupName } = request.params;
  authorize(call, 'eks:DescribeNodegroup', nodegroupResource(call, located.accountId, name, nodegroupName));
  const cluster = managedCluster(call, located, name);
  return { nodegroup: nodegroupView(cluster, nodegroupOf(cluster, nodegroupName)) };
}

// ---- updates --------------------------------------------------------------------------------------------------

/** Canonical JSON of a request body without its token, so "same input" ignores key order. */
function requestFingerprint(body: JsonRecord): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    const record = asRecord(value);
    if (!record) return value;
    return Object.keys(record).sort(compareStrings).filter((key) => key !== 'clientRequestToken').map((key) => [key, canonical(record[key])]);
  };
  return JSON.stringify(canonical(body));
}

/** A retried update request (same clientRequestToken) gets the original update back, before any state checks. */
function replayedUpdate(call: ServiceCall, located: Located, cluster: ClusterRecord & { eks: EksDetails }, body: JsonRecord, nodegroupName?: string): JsonOut | undefined {
  const token = optionalString(body, 'clientRequestToken');
  if (!token) return undefined;
  const previous = located.region.idempotency[idempotencyKey(call.operation, token, `${cluster.name}/${nodegroupName ?? ''}`)];
  if (!previous) return undefined;
  if (previous.fingerprint !== requestFingerprint(body)) throw idempotencyMismatch(token);
  const update = cluster.eks.updates.find((candidate) => candidate.id === previous.result);
  return update ? { update: updateView(update) } : undefined;
}

function startUpdate(call: ServiceCall, located: Located, cluster: ClusterRecord & { eks: EksDetails }, spec: { type: string; params: { type: string; value: string }[]; change: UpdateChange; nodegroupName?: string }, body: JsonRecord): JsonOut {
  const token = optionalString(body, 'clientRequestToken');
  const target = `${cluster.name}/${spec.nodegroupName ?? ''}`;
  const update: UpdateRecord = {
    id: uuid(),
    type: spec.type,
    status: 'InProgress',
    params: spec.params,
    createdAt: call.now,
    completesAt: call.now + call.world.state.timings.updateSeconds * 1000,
    nodegroupName: spec.nodegroupName,
    change: spec.change,
  };
  cluster.eks.updates.push(update);
  if (spec.nodegroupName) cluster.eks.nodegroups[spec.nodegroupName].status = 'UPDATING';
  else cluster.status = 'UPDATING';
  if (token) located.region.idempotency[idempotencyKey(call.operation, token, target)] = { fingerprint: requestFingerprint(body), result: update.id };
  call.world.changed();
  return { update: updateView(update) };
}

/** EKS accepts one update at a time per cluster (and per nodegroup) and words the refusal this way. */
function refuseConcurrentUpdate(cluster: ClusterRecord & { eks: EksDetails }, updateType: string, nodegroupName?: string): void {
  const running = inProgressUpdate(cluster.eks, nodegroupName);
  if (running) {
    const subject = nodegroupName ? `nodegroup ${nodegroupName}` : `cluster ${cluster.name}`;
    throw invalidRequest(`Cannot ${updateType} because ${subject} currently has update ${running.id} in progress`, { clusterName: cluster.name, ...(nodegroupName ? { nodegroupName } : {}) });
  }
  if (!nodegroupName && cluster.status !== 'ACTIVE') {
    throw new ApiError('ResourceInUseException', 409, `Cluster ${cluster.name} is in ${cluster.status} state; updates are accepted only while it is ACTIVE.`, { clusterName: cluster.name });
  }
}

function booleanMember(record: JsonRecord, key: string, fallback: boolean): boolean {
  const value = record[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidParameter(constraintMessage(value, `resourcesVpcConfig.${key}`, 'Member must be a boolean'));
  return value;
}

function updateClusterConfig(call: ServiceCall, request: EksRequest): JsonOut {
  const { located, name } = authorizedClusterRequest(call, request, 'eks:UpdateClusterConfig');
  const cluster = managedCluster(call, located, name);
  const { body } = request;
  const replay = replayedUpdate(call, located, cluster, body);
  if (replay) return replay;
  const supported = ['resourcesVpcConfig', 'logging', 'accessConfig'];
  const unsupported = Object.keys(body).filter((key) => !supported.includes(key) && key !== 'clientRequestToken' && key !== 'name' && body[key] !== undefined);
  if (unsupported.length > 0) throw invalidParameter(`The emulator does not support updating ${unsupported.join(', ')}; it supports resourcesVpcConfig (endpoint access), logging and accessConfig.`, { clusterName: name });
  const requested = supported.filter((key) => body[key] !== undefined);
  if (requested.length === 0) throw invalidParameter('No update requested: specify resourcesVpcConfig, logging or accessConfig.', { clusterName: name });
  if (requested.length > 1) throw invalidParameter('Only one type of update can be allowed.', { clusterName: name });
  const details = cluster.eks;

  if (requested[0] === 'resourcesVpcConfig') {
    const vpc = asRecord(body.resourcesVpcConfig) ?? {};
    if (vpc.subnetIds !== undefined || vpc.securityGroupIds !== undefined) throw invalidParameter('The emulator supports endpoint access updates only (endpointPublicAccess, endpointPrivateAccess, publicAccessCidrs).', { clusterName: name });
    const publicAccess = booleanMember(vpc, 'endpointPublicAccess', details.endpointPublicAccess);
    const privateAccess = booleanMember(vpc, 'endpointPrivateAccess', details.endpointPrivateAccess);
    let cidrs = details.publicAccessCidrs;
    if (vpc.publicAccessCidrs !== undefined) {
      if (!Array.isArray(vpc.publicAccessCidrs) || vpc.publicAccessCidrs.some((cidr) => typeof cidr !== 'string' || !/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(cidr))) {
        throw invalidParameter(constraintMessage(vpc.publicAccessCidrs, 'resourcesVpcConfig.publicAccessCidrs', 'Member must be a list of IPv4 CIDR blocks'), { clusterName: name });
      }
      cidrs = vpc.publicAccessCidrs as string[];
    }
    if (!publicAccess && !privateAccess) throw invalidParameter('Cluster must have either private or public endpoint access or both', { clusterName: name });
    if (publicAccess === details.endpointPublicAccess && privateAccess === details.endpointPrivateAccess && JSON.stringify(cidrs) === JSON.stringify(details.publicAccessCidrs)) {
      throw invalidParameter(`Cluster is already at the desired configuration with endpointPrivateAccess: ${privateAccess} , endpointPublicAccess: ${publicAccess}, and Public Endpoint Restrictions: [${cidrs.join(', ')}]`, { clusterName: name });
    }
    refuseConcurrentUpdate(cluster, 'EndpointAccessUpdate');
    return startUpdate(call, located, cluster, {
      type: 'EndpointAccessUpdate',
      params: [
        { type: 'EndpointPublicAccess', value: String(publicAccess) },
        { type: 'EndpointPrivateAccess', value: String(privateAccess) },
        { type: 'PublicAccessCidrs', value: JSON.stringify(cidrs) },
      ],
      change: { kind: 'endpointAccess', endpointPublicAccess: publicAccess, endpointPrivateAccess: privateAccess, publicAccessCidrs: cidrs },
    }, body);
  }

  if (requested[0] === 'logging') {
    const groups = asRecord(body.logging)?.clusterLogging;
    if (!Array.isArray(groups)) throw invalidParameter(constraintMessage(body.logging, 'logging.clusterLogging', 'Member must not be null'), { clusterName: name });
    const enabled = new Set(details.loggingTypes);
    for (const group of groups) {
      const record = asRecord(group) ?? {};
      const types = Array.isArray(record.types) ? record.types : [];
      for (const type of types) {
        if (typeof type !== 'string' || !(LOG_TYPES as readonly string[]).includes(type)) {
          throw invalidParameter(constraintMessage(type, 'logging.clusterLogging.types', `Member must satisfy enum value set: [${LOG_TYPES.join(', ')}]`), { clusterName: name });
        }
        if (record.enabled === true) enabled.add(type);
        else enabled.delete(type);
      }
    }
    const enabledTypes = LOG_TYPES.filter((type) => enabled.has(type));
    if (JSON.stringify(enabledTypes) === JSON.stringify(LOG_TYPES.filter((type) => details.loggingTypes.includes(type)))) {
      throw invalidParameter('No changes needed for the logging config provided', { clusterName: name });
    }
    refuseConcurrentUpdate(cluster, 'LoggingUpdate');
    return startUpdate(call, located, cluster, {
      type: 'LoggingUpdate',
      params: [{ type: 'ClusterLogging', value: JSON.stringify({ clusterLogging: loggingView(enabledTypes) }) }],
      change: { kind: 'logging', enabledTypes },
    }, body);
  }

  const mode = asRecord(body.accessConfig)?.authenticationMode;
  const modes = ['API', 'API_AND_CONFIG_MAP', 'CONFIG_MAP'];
  if (typeof mode !== 'string' || !modes.includes(mode)) throw invalidParameter(constraintMessage(mode ?? null, 'accessConfig.authenticationMode', `Member must satisfy enum value set: [${modes.join(', ')}]`), { clusterName: name });
  if (mode === details.authenticationMode) throw invalidParameter(`Cluster already has authentication mode ${mode}`, { clusterName: name });
  refuseConcurrentUpdate(cluster, 'AccessConfigUpdate');
  return startUpdate(call, located, cluster, {
    type: 'AccessConfigUpdate',
    params: [{ type: 'AuthenticationMode', value: mode }],
    change: { kind: 'accessConfig', authenticationMode: mode },
  }, body);
}

function parseMinor(version: string): [number, number] | undefined {
  const match = /^(\d+)\.(\d+)$/.exec(version);
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

function updateClusterVersion(call: ServiceCall, request: EksRequest): JsonOut {
  const { located, name } = authorizedClusterRequest(call, request, 'eks:UpdateClusterVersion');
  const cluster = managedCluster(call, located, name);
  const replay = replayedUpdate(call, located, cluster, request.body);
  if (replay) return replay;
  const version = request.body.version;
  if (typeof version !== 'string') throw invalidParameter(`1 validation error detected: Value null at 'version' failed to satisfy constraint: Member must not be null`, { clusterName: name });
  const current = parseMinor(cluster.eks.version);
  const wanted = parseMinor(version);
  if (!current || !wanted || wanted[0] !== current[0] || wanted[1] !== current[1] + 1) {
    throw invalidParameter(`Unsupported Kubernetes minor version update from ${cluster.eks.version} to ${version}`, { clusterName: name });
  }
  refuseConcurrentUpdate(cluster, 'VersionUpdate');
  return startUpdate(call, located, cluster, {
    type: 'VersionUpdate',
    params: [{ type: 'Version', value: version }, { type: 'PlatformVersion', value: 'eks.1' }],
    change: { kind: 'version', version, platformVersion: 'eks.1' },
  }, request.body);
}

function integerMember(record: JsonRecord, key: string, member: string): number | undefined {
  const value = record[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw invalidParameter(constraintMessage(value, member, 'Member must have value greater than or equal to 0'));
  return value;
}

function updateNodegroupConfig(call: ServiceCall, request: EksRequest): JsonOut {
  const located = locate(call);
  const { name, nodegroupName } = request.params;
  authorize(call, 'eks:UpdateNodegroupConfig', nodegroupResource(call, located.accountId, name, nodegroupName));
  const cluster = managedCluster(call, located, name);
  const nodegroup = nodegroupOf(cluster, nodegroupName);
  const replay = replayedUpdate(call, located, cluster, request.body, nodegroupName);
  if (replay) return replay;
  const scaling = asRecord(request.body.scalingConfig) ?? {};
  const labels = asRecord(request.body.labels) ?? {};
  const minSize = integerMember(scaling, 'minSize', 'scalingConfig.minSize');
  const maxSize = integerMember(scaling, 'maxSize', 'scalingConfig.maxSize');
  const desiredSize = integerMember(scaling, 'desiredSize', 'scalingConfig.desiredSize');
  const addLabels: Record<string, string> = {};
  for (const [key, value] of Object.entries(asRecord(labels.addOrUpdateLabels) ?? {})) if (typeof value === 'string') addLabels[key] = value;
  const removeLabels = Array.isArray(labels.removeLabels) ? labels.removeLabels.filter((key): key is string => typeof key === 'string') : [];
  const params: { type: string; value: string }[] = [];
  if (minSize !== undefined) params.push({ type: 'MinSize', value: String(minSize) });
  if (maxSize !== undefined) params.push({ type: 'MaxSize', value: String(maxSize) });
  if (desiredSize !== undefined) params.push({ type: 'DesiredSize', value: String(desiredSize) });
  if (Object.keys(addLabels).length > 0) params.push({ type: 'LabelsToAdd', value: JSON.stringify(addLabels) });
  if (removeLabels.length > 0) params.push({ type: 'LabelsToRemove', value: JSON.stringify(removeLabels) });
  if (params.length === 0) throw invalidParameter('No changes needed for the nodegroup config provided', { clusterName: name, nodegroupName });
  const min = minSize ?? nodegroup.minSize;
  const max = maxSize ?? nodegroup.maxSize;
  const desired = desiredSize ?? nodegroup.desiredSize;
  if (min > max || desired < min || desired > max) {
    throw invalidParameter(`Invalid scaling config: minSize ${min}, desiredSize ${desired}, maxSize ${max}; desired size must be between min and max size.`, { clusterName: name, nodegroupName });
  }
  refuseConcurrentUpdate(cluster, 'ConfigUpdate', nodegroupName);
  return startUpdate(call, located, cluster, { type: 'ConfigUpdate', params, nodegroupName, change: { kind: 'nodegroupConfig', minSize, maxSize, desiredSize, addLabels, removeLabels } }, request.body);
}

function updateNodegroupVersion(call: ServiceCall, request: EksRequest): JsonOut {
  const located = locate(call);
  const { name, nodegroupName } = request.params;
  authorize(call, 'eks:UpdateNodegroupVersion', nodegroupResource(call, located.accountId, name, nodegroupName));
  const cluster = managedCluster(call, located, name);
  nodegroupOf(cluster, nodegroupName);
  const replay = replayedUpdate(call, located, cluster, request.body, nodegroupName);
  if (replay) return replay;
  const version = typeof request.body.version === 'string' ? request.body.version : cluster.eks.version;
  const wanted = parseMinor(version);
  const clusterVersion = parseMinor(cluster.eks.version);
  if (!wanted || !clusterVersion || wanted[0] !== clusterVersion[0] || wanted[1] > clusterVersion[1]) {
    throw invalidParameter(`Requested Nodegroup version ${version} is not supported for cluster version ${cluster.eks.version}.`, { clusterName: name, nodegroupName });
  }
  const releaseVersion = typeof request.body.releaseVersion === 'string' ? request.body.releaseVersion : `${version}.0-20260301`;
  refuseConcurrentUpdate(cluster, 'VersionUpdate', nodegroupName);
  return startUpdate(call, located, cluster, {
    type: 'VersionUpdate',
    params: [{ type: 'Version', value: version }, { type: 'ReleaseVersion', value: releaseVersion }],
    nodegroupName,
    change: { kind: 'nodegroupVersion', version, releaseVersion },
  }, request.body);
}

function listUpdates(call: ServiceCall, request: EksRequest): JsonOut {
  const { located, name } = authorizedClusterRequest(call, request, 'eks:ListUpdates');
  const cluster = managedCluster(call, located, name);
  const nodegroupName = request.query.get('nodegroupName') ?? undefined;
  if (nodegroupName !== undefined) nodegroupOf(cluster, nodegroupName);
  const maxResults = parseMaxResults(request.query, 100);
  const scope = `eks:ListUpdates:${located.accountId}:${call.region}:${name}:${nodegroupName ?? ''}`;
  const after = pageCursor(call, request.query, scope);
  // Updates are listed in creation order; the cursor is the index of the last one returned.
  const ids = cluster.eks.updates.filter((update) => update.nodegroupName === nodegroupName).map((update) => update.id);
  const start = after === undefined ? 0 : Number(after) + 1;
  const page = ids.slice(start, start + maxResults);
  const more = start + maxResults < ids.length;
  return { updateIds: page, nextToken: more ? nextToken(call, scope, String(start + maxResults - 1)) : undefined };
}

function describeUpdate(call: ServiceCall, request: EksRequest): JsonOut {
  const located = locate(call);
  const { name, updateId } = request.params;
  authorize(call, 'eks:DescribeUpdate', arnFor(call, located.accountId, name));
  const cluster = managedCluster(call, located, name);
  const nodegroupName = request.query.get('nodegroupName') ?? undefined;
  const update = cluster.eks.updates.find((candidate) => candidate.id === updateId && candidate.nodegroupName === nodegroupName);
  if (!update) throw new ApiError('ResourceNotFoundException', 404, `No update found for ID: ${updateId}`, { clusterName: name });
  return { update: updateView(update) };
}

// ---- tags -----------------------------------------------------------------------------------------------------

const EKS_ARN_PATTERN = /^arn:([a-z-]+):eks:([a-z0-9-]+):(\d{12}):(cluster|nodegroup)\/([^/]+)(?:\/([^/]+)\/([^/]+))?$/;

function taggable(call: ServiceCall, located: Located, arn: string): { tags: Record<string, string> } {
  const match = EKS_ARN_PATTERN.exec(arn);
  if (!match || (match[4] === 'cluster' && match[6] !== undefined) || (match[4] === 'nodegroup' && match[7] === undefined)) {
    throw new ApiError('BadRequestException', 400, `Invalid resource ARN: ${arn}`);
  }
  const [, , arnRegion, accountId, kind, clusterName, nodegroupName] = match;
  const notFound = new ApiError('NotFoundException', 404, `Resource ${arn} was not found.`);
  if (arnRegion !== call.region || accountId !== located.accountId) throw notFound;
  const cluster = findCluster(located.region, clusterName, call.now);
  if (!cluster || (kind === 'cluster' && cluster.arn !== arn)) throw notFound;
  if (kind === 'cluster') return cluster;
  const nodegroup = cluster.eks?.nodegroups[nodegroupName];
  if (!nodegroup || nodegroup.arn !== arn) throw notFound;
  return nodegroup;
}

function listTagsForResource(call: ServiceCall, request: EksRequest): JsonOut {
  const located = locate(call);
  const arn = request.params.resourceArn;
  authorize(call, 'eks:ListTagsForResource', arn);
  return { tags: { ...taggable(call, located, arn).tags } };
}

function tagResource(call: ServiceCall, request: EksRequest): JsonOut {
  const located = locate(call);
  const arn = request.params.resourceArn;
  authorize(call, 'eks:TagResource', arn);
  const resource = taggable(call, located, arn);
  const badRequest = (message: string): ApiError => new ApiError('BadRequestException', 400, message);
  const tags = validateTags(request.body.tags, badRequest);
  const merged = { ...resource.tags, ...tags };
  if (Object.keys(merged).length > 50) throw badRequest(`Resource ${arn} would have ${Object.keys(merged).length} tags; the limit is 50.`);
  resource.tags = merged;
  call.world.changed();
  return {};
}

function untagResource(call: ServiceCall, request: EksRequest): JsonOut {
  const located = locate(call);
  const arn = request.params.resourceArn;
  authorize(call, 'eks:UntagResource', arn);
  const resource = taggable(call, located, arn);
  const keys = request.query.getAll('tagKeys');
  if (keys.length === 0) throw new ApiError('BadRequestException', 400, `1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null`);
  for (const key of keys) delete resource.tags[key];
  call.world.changed();
  return {};
}

export const EKS_HANDLERS: Record<string, EksHandler> = {
  RegisterCluster: registerCluster,
  DeregisterCluster: deregisterCluster,
  ListClusters: listClusters,
  DescribeCluster: describeCluster,
  ListNodegroups: listNodegroups,
  DescribeNodegroup: describeNodegroup,
  UpdateNodegroupConfig: updateNodegroupConfig,
  UpdateNodegroupVersion: updateNodegroupVersion,
  ListUpdates: listUpdates,
  DescribeUpdate: describeUpdate,
  UpdateClusterConfig: updateClusterConfig,
  UpdateClusterVersion: updateClusterVersion,
  ListTagsForResource: listTagsForResource,
  TagResource: tagResource,
  UntagResource: untagResource,
};

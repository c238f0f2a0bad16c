// AWS Systems Manager (awsJson1_1): the hybrid activations EKS creates for connected clusters, the managed
// instances the connector agents become, and the unsigned RegisterManagedInstance call the agent makes.
import { partitionOf } from './arns';
import { asRecord, authorize, requireCaller, type JsonRecord, type ServiceCall } from './context';
import { settleCluster } from './lifecycle';
import { ApiError, constraintMessage, epochSeconds, type JsonOut } from './protocols';
import {
  PING_STATUSES, registerInstance, type AccountState, type ActivationRecord, type InstanceRecord, type RegionState,
} from './state';
import { compareStrings, pageAfter } from './tokens';

type SsmHandler = (call: ServiceCall, body: JsonRecord) => JsonOut;

const ACTIVATION_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const INSTANCE_ID_PATTERN = /^(mi-[0-9a-f]{17}|eks_c:[0-9A-Za-z][A-Za-z0-9\-_]{0,99}_\w{17})$/;

function validation(message: string): ApiError {
  return new ApiError('ValidationException', 400, message);
}

function regionOf(call: ServiceCall): { accountId: string; region: RegionState } {
  const caller = requireCaller(call);
  return { accountId: caller.accountId, region: call.world.region(caller.accountId, call.region) };
}

function ssmResource(call: ServiceCall, accountId: string, resource = '*'): string {
  return `arn:${partitionOf(call.region)}:ssm:${call.region}:${accountId}:${resource}`;
}

function maxResults(body: JsonRecord, min: number, max: number, fallback: number): number {
  const value = body.MaxResults;
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw validation(constraintMessage(value, 'maxResults', 'Member must be an integer'));
  if (value < min) throw validation(constraintMessage(value, 'maxResults', `Member must have value greater than or equal to ${min}`));
  if (value > max) throw validation(constraintMessage(value, 'maxResults', `Member must have value less than or equal to ${max}`));
  return value;
}

function cursor(call: ServiceCall, body: JsonRecord, scope: string): string | undefined {
  if (typeof body.NextToken !== 'string') return undefined;
  const decoded = call.world.tokens.decode(body.NextToken, scope);
  if (!decoded) throw new ApiError('InvalidNextToken', 400, 'The specified token is not valid.');
  return decoded.after;
}

function page<T>(call: ServiceCall, body: JsonRecord, scope: string, items: Map<string, T>, limit: number): { items: T[]; nextToken?: string } {
  const keys = [...items.keys()].sort(compareStrings);
  const { page: keysOnPage, last } = pageAfter(keys, cursor(call, body, scope), limit);
  return { items: keysOnPage.map((key) => items.get(key)!), nextToken: last === undefined ? undefined : call.world.tokens.encode({ scope, after: last }) };
}

function isExpired(activation: ActivationRecord, now: number): boolean {
  return now > activation.expiresAt;
}

// ---- DescribeInstanceInformation ------------------------------------------------------------------------------

function instanceView(instance: InstanceRecord, now: number): JsonOut {
  return {
    InstanceId: instance.id,
    PingStatus: instance.pingStatus,
    LastPingDateTime: epochSeconds(instance.pingStatus === 'Online' ? now : instance.pingStatusSince),
    AgentVersion: instance.agentVersion,
    IsLatestVersion: false,
    PlatformType: 'Linux',
    PlatformName: 'Amazon Linux',
    PlatformVersion: '2',
    ActivationId: instance.activationId,
    IamRole: instance.iamRole,
    RegistrationDate: epochSeconds(instance.registeredAt),
    ResourceType: 'ManagedInstance',
    Name: instance.clusterName,
    ComputerName: instance.computerName,
    SourceId: instance.id,
    SourceType: 'AWS::SSM::ManagedInstance',
  };
}

type InstancePredicate = (instance: InstanceRecord) => boolean;

const INSTANCE_FILTER_KEYS: Record<string, (values: string[]) => InstancePredicate> = {
  InstanceIds: (values) => (instance) => values.includes(instance.id),
  ActivationIds: (values) => (instance) => values.includes(instance.activationId),
  PingStatus: (values) => {
    for (const value of values) {
      if (!(PING_STATUSES as readonly string[]).includes(value)) {
        throw new ApiError('InvalidInstanceInformationFilterValue', 400, `The filter value ${value} is not valid for PingStatus; valid values are ${PING_STATUSES.join(', ')}.`);
      }
    }
    return (instance) => values.includes(instance.pingStatus);
  },
  IamRole: (values) => (instance) => values.includes(instance.iamRole),
  ResourceType: (values) => () => values.includes('ManagedInstance'),
  PlatformTypes: (values) => () => values.includes('Linux'),
  AgentVersion: (values) => (instance) => values.includes(instance.agentVersion),
};

function instanceFilters(body: JsonRecord): InstancePredicate[] {
  const predicates: InstancePredicate[] = [];
  const add = (key: unknown, values: unknown, listName: string): void => {
    if (typeof key !== 'string' || !INSTANCE_FILTER_KEYS[key]) throw new ApiError('InvalidFilterKey', 400, `The filter key ${String(key)} is not valid; valid keys include ${Object.keys(INSTANCE_FILTER_KEYS).join(', ')}.`);
    if (!Array.isArray(values) || values.length < 1 || values.length > 100 || values.some((value) => typeof value !== 'string')) {
      throw new ApiError('InvalidInstanceInformationFilterValue', 400, `${listName} of filter ${key} must contain 1 to 100 strings.`);
    }
    predicates.push(INSTANCE_FILTER_KEYS[key](values as string[]));
  };
  if (Array.isArray(body.Filters)) for (const filter of body.Filters) add(asRecord(filter)?.Key, asRecord(filter)?.Values, 'Values');
  if (Array.isArray(body.InstanceInformationFilterList)) {
    for (const filter of body.InstanceInformationFilterList) add(asRecord(filter)?.key, asRecord(filter)?.valueSet, 'valueSet');
  }
  return predicates;
}

function describeInstanceInformation(call: ServiceCall, body: JsonRecord): JsonOut {
  const { accountId, region } = regionOf(call);
  authorize(call, 'ssm:DescribeInstanceInformation', ssmResource(call, accountId));
  const predicates = instanceFilters(body);
  const limit = maxResults(body, 5, 50, 10);
  const matching = new Map<string, InstanceRecord>();
  for (const instance of Object.values(region.instances)) if (predicates.every((predicate) => predicate(instance))) matching.set(instance.id, instance);
  const result = page(call, body, `ssm:DescribeInstanceInformation:${accountId}:${call.region}:${JSON.stringify([body.Filters, body.InstanceInformationFilterList])}`, matching, limit);
  return { InstanceInformationList: result.items.map((instance) => instanceView(instance, call.now)), NextToken: result.nextToken };
}

// ---- DescribeActivations / DeleteActivation -------------------------------------------------------------------

function activationView(activation: ActivationRecord, now: number): JsonOut {
  return {
    ActivationId: activation.id,
    Description: activation.description,
    DefaultInstanceName: activation.defaultInstanceName,
    IamRole: activation.iamRole,
    RegistrationLimit: activation.registrationLimit,
    RegistrationsCount: activation.registrationsCount,
    ExpirationDate: epochSeconds(activation.expiresAt),
    Expired: isExpired(activation, now),
    CreatedDate: epochSeconds(activation.createdAt),
    Tags: [],
  };
}

const ACTIVATION_FILTER_KEYS: Record<string, (activation: ActivationRecord) => string> = {
  ActivationIds: (activation) => activation.id,
  DefaultInstanceName: (activation) => activation.defaultInstanceName,
  IamRole: (activation) => activation.iamRole,
};

function describeActivations(call: ServiceCall, body: JsonRecord): JsonOut {
  const { accountId, region } = regionOf(call);
  authorize(call, 'ssm:DescribeActivations', ssmResource(call, accountId));
  const predicates: ((activation: ActivationRecord) => boolean)[] = [];
  if (body.Filters !== undefined) {
    if (!Array.isArray(body.Filters)) throw validation(constraintMessage(body.Filters, 'filters', 'Member must be a list'));
    for (const filter of body.Filters) {
      const record = asRecord(filter) ?? {};
      const key = record.FilterKey;
      const values = record.FilterValues;
      if (typeof key !== 'string' || !ACTIVATION_FILTER_KEYS[key]) throw new ApiError('InvalidFilter', 400, `The filter key ${String(key)} is not valid; valid keys are ActivationIds, DefaultInstanceName, IamRole.`);
      if (!Array.isArray(values) || values.some((value) => typeof value !== 'string')) throw new ApiError('InvalidFilter', 400, `FilterValues of ${key} must be a list of strings.`);
      const select = ACTIVATION_FILTER_KEYS[key];
      predicates.push((activation) => values.includes(select(activation)));
    }
  }
  const limit = maxResults(body, 1, 50, 50);
  const matching = new Map<string, ActivationRecord>();
  for (const activation of Object.values(region.activations)) if (predicates.every((predicate) => predicate(activation))) matching.set(activation.id, activation);
  const result = page(call, body, `ssm:DescribeActivations:${accountId}:${call.region}:${JSON.stringify(body.Filters ?? null)}`, matching, limit);
  return { ActivationList: result.items.map((activation) => activationView(activation, call.now)), NextToken: result.nextToken };
}

function deleteActivation(call: ServiceCall, body: JsonRecord): JsonOut {
  const { accountId, region } = regionOf(call);
  const id = typeof body.ActivationId === 'string' ? body.ActivationId : '';
  authorize(call, 'ssm:DeleteActivation', ssmResource(call, accountId, `activation/${id}`));
  if (!region.activations[id]) throw new ApiError('InvalidActivationId', 400, `Activation ID ${id || '(empty)'} is not valid. Verify the activation ID and try again.`);
  delete region.activations[id];
  call.world.changed();
  return {};
}

// ---- managed instances ----------------------------------------------------------------------------------------

function deregisterManagedInstance(call: ServiceCall, body: JsonRecord): JsonOut {
  const { accountId, region } = regionOf(call);
  const id = typeof body.InstanceId === 'string' ? body.InstanceId : '';
  authorize(call, 'ssm:DeregisterManagedInstance', ssmResource(call, accountId, `managed-instance/${id}`));
  if (!INSTANCE_ID_PATTERN.test(id) || !region.instances[id]) {
    throw new ApiError('InvalidInstanceId', 400, `Instance ID ${id || '(empty)'} is not valid. Verify the instance ID and try again.`);
  }
  delete region.instances[id];
  call.world.changed();
  return {};
}

function findActivation(accounts: Record<string, AccountState>, id: string): { region: RegionState; activation: ActivationRecord } | undefined {
  for (const account of Object.values(accounts)) {
    for (const region of Object.values(account.regions)) {
      const activation = region.activations[id];
      if (activation) return { region, activation };
    }
  }
  return undefined;
}

/**
 * The unpublished call the connector's init container makes with anonymous credentials. The region is not known
 * from a signature, so the activation is found by its (globally unique) id.
 */
function registerManagedInstance(call: ServiceCall, body: JsonRecord): JsonOut {
  const activationId = body.ActivationId;
  const activationCode = body.ActivationCode;
  if (typeof activationId !== 'string' || activationId.length < 36) throw validation(constraintMessage(activationId ?? null, 'activationId', 'Member must have length greater than or equal to 36'));
  if (typeof activationCode !== 'string' || activationCode.length < 20) throw validation(constraintMessage(activationCode ?? null, 'activationCode', 'Member must have length greater than or equal to 20'));
  if (typeof body.PublicKey !== 'string' || body.PublicKey.length < 392 || !/^[A-Za-z0-9+/=]+$/.test(body.PublicKey)) {
    throw validation(constraintMessage(typeof body.PublicKey === 'string' ? `${body.PublicKey.slice(0, 16)}…` : null, 'publicKey', 'Member must be a base64 public key of at least 392 characters'));
  }
  if (body.PublicKeyType !== 'Rsa') throw validation(constraintMessage(body.PublicKeyType ?? null, 'publicKeyType', 'Member must satisfy enum value set: [Rsa]'));
  if (typeof body.Fingerprint !== 'string' || body.Fingerprint.length < 1) throw validation(constraintMessage(body.Fingerprint ?? null, 'fingerprint', 'Member must not be null'));

  const invalid = new ApiError('InvalidActivation', 400, 'The activation is not valid. The activation might have been deleted, or the ActivationId and the ActivationCode do not match.');
  if (!ACTIVATION_ID_PATTERN.test(activationId)) throw invalid;
  const found = findActivation(call.world.state.accounts, activationId);
  if (!found || found.activation.code !== activationCode) throw invalid;
  const { region, activation } = found;
  if (isExpired(activation, call.now)) throw new ApiError('InvalidActivation', 400, `Activation ${activationId} has expired.`);
  if (activation.registrationsCount >= activation.registrationLimit) {
    throw new ApiError('InvalidActivation', 400, `Activation ${activationId} has reached its registration limit of ${activation.registrationLimit}.`);
  }
  const instance = registerInstance(region, activation, call.now, body.Fingerprint);
  const cluster = region.clusters[activation.clusterName];
  if (cluster && settleCluster(region, cluster, call.now) && cluster.connector?.activationId === activation.id && cluster.status === 'PENDING') cluster.status = 'ACTIVE';
  call.world.changed();
  return { InstanceId: instance.id };
}

export const SSM_HANDLERS: Record<string, SsmHandler> = {
  DescribeInstanceInformation: describeInstanceInformation,
  DescribeActivations: describeActivations,
  DeleteActivation: deleteActivation,
  DeregisterManagedInstance: deregisterManagedInstance,
  RegisterManagedInstance: registerManagedInstance,
};

export const UNSIGNED_SSM_OPERATIONS = new Set(['RegisterManagedInstance']);

/** Control-API helper: the instance and its region anywhere in the world. */
export function findInstance(accounts: Record<string, AccountState>, instanceId: string): InstanceRecord | undefined {
  for (const account of Object.values(accounts)) {
    for (const region of Object.values(account.regions)) {
      const instance = region.instances[instanceId];
      if (instance) return instance;
    }
  }
  return undefined;
}

// What a service handler receives for one call: the world, the caller, the region, and an authorize() that throws
// the protocol-correct AccessDenied error for the calling identity.
import { accessDeniedMessage, isDenied, type Caller } from './identities';
import { protocolErrors, type ServiceName } from './protocols';
import type { World } from './world';

export interface ServiceCall {
  readonly world: World;
  readonly service: ServiceName;
  readonly operation: string;
  readonly region: string;
  readonly requestId: string;
  /** Emulator-clock time at which the request arrived. */
  readonly now: number;
  /** Undefined only for the unsigned SSM RegisterManagedInstance. */
  readonly caller: Caller | undefined;
}

export function authorize(call: ServiceCall, action: string, resource: string): void {
  const caller = call.caller;
  if (caller && isDenied(caller, action, call.region)) throw protocolErrors.accessDenied(call.service, accessDeniedMessage(caller, action, resource));
}

export function requireCaller(call: ServiceCall): Caller {
  if (!call.caller) throw protocolErrors.missingAuthentication(call.service === 'ssm' ? 'awsJson' : call.service === 'eks' ? 'restJson' : 'awsQuery');
  return call.caller;
}

/** Loose accessors for parsed JSON request bodies. */
export type JsonRecord = Record<string, unknown>;

export function asRecord(value: unknown): JsonRecord | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonRecord) : undefined;
}

export function optionalString(record: JsonRecord | undefined, key: string): string | undefined {
  const value = record?.[key];
  return typeof value === 'string' ? value : undefined;
}

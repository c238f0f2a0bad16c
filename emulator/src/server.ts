// The HTTP front door. Every AWS service shares one URL: the SigV4 credential scope says which service and region
// a request is for. Each request is classified, run through fault injection, authenticated, then dispatched.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { ServiceCall } from './context';
import { CONTROL_PREFIX, handleControl } from './control';
import { EKS_HANDLERS, matchEksRoute } from './eks';
import { FaultInjector } from './faults';
import { IAM_HANDLERS } from './iam';
import { lookupCaller, type Caller } from './identities';
import { requestId as newRequestId } from './ids';
import { StateFileError, readStateFile } from './persistence';
import {
  ApiError, QUERY_NAMESPACES, awsJsonResponse, errorResponse, protocolErrors, queryResponse, restJsonResponse,
  type Protocol, type ServiceName, type WireResponse,
} from './protocols';
import { loadSeedFile, validateSeed, type Seed } from './seed';
import { parseAuthorization, signatureMatches, type ParsedAuthorization } from './sigv4';
import { SSM_HANDLERS, UNSIGNED_SSM_OPERATIONS } from './ssm';
import { STS_HANDLERS } from './sts';
import { World } from './world';

export type { Seed } from './seed';

export interface EmulatorOptions {
  /** 0 or absent: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Seed object, or path to a seed JSON file. */
  seed?: Seed | string;
  /** Persist state here after each change; reloaded on start when the file exists (it wins over `seed`). */
  statePath?: string;
}

export interface RunningEmulator {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;
const SERVICES: readonly ServiceName[] = ['eks', 'ssm', 'sts', 'iam'];
const PROTOCOL_OF: Record<ServiceName, Protocol> = { eks: 'restJson', ssm: 'awsJson', sts: 'awsQuery', iam: 'awsQuery' };

interface IncomingCall {
  method: string;
  rawPath: string;
  rawQuery: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** What the request is, before anyone checks whether it is allowed. */
interface Classified {
  service: ServiceName | undefined;
  protocol: Protocol;
  operation: string;
  region: string;
  auth: ParsedAuthorization | undefined;
  /** Set when the request can be answered only with an error (bad signature format, unknown operation, ...). */
  failure?: ApiError;
  eksParams?: Record<string, string>;
  form?: URLSearchParams;
  json?: Record<string, unknown>;
}

function header(headers: IncomingMessage['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function protocolFromShape(call: IncomingCall): Protocol {
  if (header(call.headers, 'x-amz-target')) return 'awsJson';
  if ((header(call.headers, 'content-type') ?? '').includes('x-www-form-urlencoded') || /(^|&)Action=/.test(call.rawQuery)) return 'awsQuery';
  return 'restJson';
}

function parseJsonBody(body: Buffer): Record<string, unknown> | ApiError {
  if (body.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through to the error below
  }
  return new ApiError('SerializationException', 400, 'Start of structure or map found where not expected, or the request body is not valid JSON.');
}

function classify(call: IncomingCall): Classified {
  const authorization = header(call.headers, 'authorization');
  let auth: ParsedAuthorization | undefined;
  let service: ServiceName | undefined;
  let region = 'us-east-1';
  let failure: ApiError | undefined;
  if (authorization !== undefined) {
    const parsed = parseAuthorization(authorization);
    if (parsed.ok) {
      auth = parsed.value;
      region = auth.region;
      if ((SERVICES as readonly string[]).includes(auth.service)) service = auth.service as ServiceName;
    } else {
      failure = protocolErrors.incompleteSignature(protocolFromShape(call), parsed.reason);
    }
  } else if (header(call.headers, 'x-amz-target')?.startsWith('AmazonSSM.')) {
    service = 'ssm';
  } else {
    // Without a signature there is no credential scope to route by; like AWS, refuse before looking any further.
    const protocol = protocolFromShape(call);
    return { service: undefined, protocol, operation: 'Unknown', region, auth, failure: protocolErrors.missingAuthentication(protocol) };
  }
  const protocol = service ? PROTOCOL_OF[service] : protocolFromShape(call);
  const result: Classified = { service, protocol, operation: 'Unknown', region, auth, failure };

  switch (protocol) {
    case 'restJson': {
      const route = matchEksRoute(call.method, call.rawPath);
      if (route) {
        result.operation = route.operation;
        result.eksParams = route.params;
      }
      const json = parseJsonBody(call.body);
      if (json instanceof ApiError) result.failure ??= json;
      else result.json = json;
      if (!route) result.failure ??= protocolErrors.unknownOperation(protocol, `${call.method} ${call.rawPath}`);
      break;
    }
    case 'awsJson': {
      const target = header(call.headers, 'x-amz-target') ?? '';
      const operation = target.startsWith('AmazonSSM.') ? target.slice('AmazonSSM.'.length) : '';
      if (operation && SSM_HANDLERS[operation]) result.operation = operation;
      else result.failure ??= protocolErrors.unknownOperation(protocol, operation || target || '(no X-Amz-Target)');
      const json = parseJsonBody(call.body);
      if (json instanceof ApiError) result.failure ??= json;
      else result.json = json;
      break;
    }
    case 'awsQuery': {
      const form = new URLSearchParams(call.method === 'GET' ? call.rawQuery : call.body.toString('utf8'));
      result.form = form;
      const action = form.get('Action') ?? '';
      const handlers = service === 'sts' ? STS_HANDLERS : service === 'iam' ? IAM_HANDLERS : undefined;
      if (action && handlers?.[action]) result.operation = action;
      else result.failure ??= protocolErrors.unknownOperation(protocol, action || '(no Action)', service === 'sts' ? QUERY_NAMESPACES.sts.version : QUERY_NAMESPACES.iam.version);
      break;
    }
  }
  if (!service && !result.failure) result.failure = protocolErrors.unknownOperation(protocol, `${auth?.service ?? 'unsigned'} ${result.operation}`);
  return result;
}

type Authentication = { ok: true; caller: Caller | undefined } | { ok: false; error: ApiError };

function authenticate(world: World, call: IncomingCall, classified: Classified): Authentication {
  const { auth, protocol } = classified;
  if (!auth) {
    if (classified.service === 'ssm' && UNSIGNED_SSM_OPERATIONS.has(classified.operation)) return { ok: true, caller: undefined };
    return { ok: false, error: protocolErrors.missingAuthentication(protocol) };
  }
  const lookup = lookupCaller(world.state, auth.accessKeyId, header(call.headers, 'x-amz-security-token'), Date.now());
  if (!lookup.ok) return { ok: false, error: lookup.reason === 'expired' ? protocolErrors.expiredToken(protocol) : protocolErrors.invalidToken(protocol) };
  const { caller } = lookup;
  if (caller.secretAccessKey !== undefined && !signatureMatches(call, auth, caller.secretAccessKey)) {
    return { ok: false, error: protocolErrors.signatureMismatch(protocol) };
  }
  return { ok: true, caller };
}

function dispatch(world: World, call: IncomingCall, classified: Classified, caller: Caller | undefined, requestId: string): WireResponse {
  const service = classified.service!;
  const serviceCall: ServiceCall = { world, service, operation: classified.operation, region: classified.region, requestId, now: world.now(), caller };
  switch (service) {
    case 'eks': {
      const handler = EKS_HANDLERS[classified.operation];
      const payload = handler(serviceCall, { method: call.method, params: classified.eksParams ?? {}, query: new URLSearchParams(call.rawQuery), body: classified.json ?? {} });
      return restJsonResponse(requestId, payload);
    }
    case 'ssm':
      return awsJsonResponse(requestId, SSM_HANDLERS[classified.operation](serviceCall, classified.json ?? {}));
    case 'sts':
    case 'iam': {
      const handlers = service === 'sts' ? STS_HANDLERS : IAM_HANDLERS;
      return queryResponse(service, classified.operation, requestId, handlers[classified.operation](serviceCall, classified.form ?? new URLSearchParams()));
    }
  }
}

function send(res: ServerResponse, response: WireResponse): void {
  if (res.destroyed) return;
  const body = Buffer.from(response.body, 'utf8');
  res.writeHead(response.status, { ...response.headers, 'content-length': String(body.length) });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Region of an unsigned RegisterManagedInstance: that of the activation it names, for region-scoped faults. */
function unsignedRegion(world: World, classified: Classified): string {
  const activationId = classified.json?.ActivationId;
  if (typeof activationId !== 'string') return classified.region;
  for (const account of Object.values(world.state.accounts)) {
    for (const [region, regionState] of Object.entries(account.regions)) if (regionState.activations[activationId]) return region;
  }
  return classified.region;
}

async function handleRequest(world: World, faults: FaultInjector, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = newRequestId();
  const body = await readBody(req);
  const url = req.url ?? '/';
  const queryStart = url.indexOf('?');
  const call: IncomingCall = {
    method: (req.method ?? 'GET').toUpperCase(),
    rawPath: queryStart < 0 ? url : url.slice(0, queryStart),
    rawQuery: queryStart < 0 ? '' : url.slice(queryStart + 1),
    headers: req.headers,
    body,
  };

  if (call.rawPath.startsWith(CONTROL_PREFIX)) {
    const result = handleControl({ world, faults }, call.method, call.rawPath, body.toString('utf8'));
    send(res, { status: result.status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(result.body) });
    return;
  }

  const classified = classify(call);
  if (classified.service) {
    if (!classified.auth) classified.region = unsignedRegion(world, classified);
    const decision = faults.decide({ service: classified.service, operation: classified.operation, region: classified.region });
    // Unreferenced: a held answer does not keep a closed emulator's process alive.
    if (decision.delayMs > 0) await delay(decision.delayMs, undefined, { ref: false });
    switch (decision.outcome.kind) {
      case 'drop':
        req.socket.destroy();
        return;
      case 'throttle':
        send(res, errorResponse(classified.protocol, protocolErrors.throttled(classified.protocol), requestId, classified.service));
        return;
      case 'error':
        send(res, errorResponse(classified.protocol, protocolErrors.injected(classified.service, decision.outcome.status), requestId, classified.service));
        return;
      case 'pass':
        break;
    }
  }

  if (classified.failure) {
    send(res, errorResponse(classified.protocol, classified.failure, requestId, classified.service));
    return;
  }
  const authentication = authenticate(world, call, classified);
  if (!authentication.ok) {
    send(res, errorResponse(classified.protocol, authentication.error, requestId, classified.service));
    return;
  }
  try {
    send(res, dispatch(world, call, classified, authentication.caller, requestId));
  } catch (error) {
    if (error instanceof ApiError) {
      send(res, errorResponse(classified.protocol, error, requestId, classified.service));
      return;
    }
    console.error(`AWS emulator: ${classified.service}:${classified.operation} failed:`, error);
    send(res, errorResponse(classified.protocol, protocolErrors.internal(classified.protocol, (error as Error).message), requestId, classified.service));
  }
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen({ port, host }, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

async function resolveSeed(seed: Seed | string | undefined): Promise<Seed> {
  if (typeof seed === 'string') return loadSeedFile(seed);
  return structuredClone(validateSeed(seed ?? {}, 'options.seed'));
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const seed = await resolveSeed(options.seed);
  const persisted = options.statePath ? readStateFile(options.statePath) : undefined;
  const world = new World(options.seed === undefined && persisted ? persisted.seed : seed, persisted);
  if (options.statePath) {
    world.persistTo(options.statePath);
    try {
      // Fail at start, not on the first mutation, when the state file cannot be written.
      await world.flush();
    } catch (error) {
      throw new StateFileError(`Cannot write state file ${options.statePath}: ${(error as Error).message}`);
    }
  }
  const faults = new FaultInjector(world.clock);

  const server = createServer((req, res) => {
    handleRequest(world, faults, req, res).catch((error: unknown) => {
      console.error('AWS emulator: request failed:', error);
      if (!res.headersSent && !res.destroyed) send(res, { status: 500, headers: { 'content-type': 'text/plain' }, body: 'emulator failure' });
    });
  });
  const host = options.host ?? '127.0.0.1';
  const address = await listen(server, options.port ?? 0, host);
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    close(): Promise<void> {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        await world.flush();
      })();
      return closing;
    },
  };
}


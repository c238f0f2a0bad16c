// The emulator's own control API under /__emulator/: faults, clock, reset, seeding, state dump and agent
// connectivity. Plain JSON in and out; errors are `{ "error": "..." }` with 400/404.
import { FaultConfigError, validateFaultConfig, type FaultInjector } from './faults';
import { SeedValidationError, validateSeed } from './seed';
import { findInstance } from './ssm';
import { PING_STATUSES, type EmulatorState, type PingStatus } from './state';
import type { World } from './world';

export const CONTROL_PREFIX = '/__emulator/';

export interface ClockSnapshot {
  /** Emulator time, ISO 8601. */
  now: string;
  nowEpochSeconds: number;
  offsetSeconds: number;
}

export interface StateDump {
  clock: ClockSnapshot;
  state: EmulatorState;
}

export interface ControlResult {
  status: number;
  body: unknown;
}

export interface ControlDeps {
  world: World;
  faults: FaultInjector;
}

function clockSnapshot(world: World): ClockSnapshot {
  const now = world.now();
  return { now: new Date(now).toISOString(), nowEpochSeconds: Math.floor(now / 1000), offsetSeconds: world.clock.offset / 1000 };
}

function parseJson(body: string): { ok: true; value: unknown } | { ok: false; error: string } {
  if (body.trim() === '') return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(body) as unknown };
  } catch (error) {
    return { ok: false, error: `request body is not valid JSON: ${(error as Error).message}` };
  }
}

function badRequest(error: string): ControlResult {
  return { status: 400, body: { error } };
}

export function handleControl(deps: ControlDeps, method: string, path: string, rawBody: string): ControlResult {
  const { world, faults } = deps;
  const route = path.slice(CONTROL_PREFIX.length).replace(/\/+$/, '');
  const parsed = parseJson(rawBody);
  if (!parsed.ok) return badRequest(parsed.error);
  const body = parsed.value;

  if (route === 'health' && method === 'GET') return { status: 200, body: { ok: true } };

  if (route === 'faults') {
    if (method === 'GET') return { status: 200, body: faults.snapshot() };
    if (method === 'DELETE') {
      faults.reset();
      return { status: 200, body: faults.snapshot() };
    }
    if (method === 'POST' || method === 'PUT') {
      try {
        faults.set(validateFaultConfig(body));
      } catch (error) {
        if (error instanceof FaultConfigError) return badRequest(`invalid faults: ${error.message}`);
        throw error;
      }
      return { status: 200, body: faults.snapshot() };
    }
  }

  if (route === 'clock') {
    if (method === 'GET') return { status: 200, body: clockSnapshot(world) };
    if (method === 'POST') {
      const seconds = (body as { advanceSeconds?: unknown } | null)?.advanceSeconds;
      if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return badRequest('advanceSeconds must be a number ≥ 0 (the clock only moves forward)');
      world.advanceClock(seconds);
      return { status: 200, body: clockSnapshot(world) };
    }
  }

  if (route === 'reset' && method === 'POST') {
    world.reset();
    return { status: 200, body: { ok: true } };
  }

  if (route === 'seed' && method === 'POST') {
    try {
      world.reset(structuredClone(validateSeed(body, 'POST /__emulator/seed')));
    } catch (error) {
      if (error instanceof SeedValidationError) return { status: 400, body: { error: error.message, issues: error.issues } };
      throw error;
    }
    return { status: 200, body: { ok: true } };
  }

  if (route === 'state' && method === 'GET') {
    world.settleAll();
    const dump: StateDump = { clock: clockSnapshot(world), state: world.serialize().state };
    return { status: 200, body: dump };
  }

  const pingRoute = /^instances\/([^/]+)\/ping-status$/.exec(route);
  if (pingRoute && method === 'POST') {
    const instanceId = decodedSegment(pingRoute[1]);
    if (instanceId === undefined) return badRequest('instance id is not validly percent-encoded');
    const status = (body as { status?: unknown } | null)?.status;
    if (typeof status !== 'string' || !(PING_STATUSES as readonly string[]).includes(status)) return badRequest(`status must be one of ${PING_STATUSES.join(', ')}`);
    const instance = findInstance(world.state.accounts, instanceId);
    if (!instance) return { status: 404, body: { error: `no managed instance ${instanceId}` } };
    if (instance.pingStatus !== status) {
      instance.pingStatus = status as PingStatus;
      instance.pingStatusSince = world.now();
      world.changed();
    }
    return { status: 200, body: { ok: true, instanceId, status } };
  }

  // What the connected agent tells the service about its cluster (the real one learns it over the agent's channel).
  const versionRoute = /^activations\/([^/]+)\/kubernetes-version$/.exec(route);
  if (versionRoute && method === 'POST') {
    const activationId = decodedSegment(versionRoute[1]);
    if (activationId === undefined) return badRequest('activation id is not validly percent-encoded');
    const version = (body as { version?: unknown } | null)?.version;
    if (typeof version !== 'string' || !/^\d+\.\d+$/.test(version)) return badRequest('version must be "<major>.<minor>", e.g. "1.31"');
    const cluster = Object.values(world.state.accounts).flatMap((a) => Object.values(a.regions)).flatMap((r) => Object.values(r.clusters))
      .find((c) => c.connector?.activationId === activationId);
    if (!cluster?.connector) return { status: 404, body: { error: `no connected cluster registered with activation ${activationId}` } };
    if (cluster.connector.kubernetesVersion !== version) {
      cluster.connector.kubernetesVersion = version;
      world.changed();
    }
    return { status: 200, body: { ok: true, cluster: cluster.name, version } };
  }

  return { status: 404, body: { error: `no control route ${method} ${path}; see emulator/README.md` } };
}

/** A percent-encoded path segment, decoded; undefined when its encoding is broken. */
function decodedSegment(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

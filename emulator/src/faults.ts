// Fault injection: added latency, token-bucket throttling, injected 5xx errors and dropped connections, each scoped
// by service / operation / region, with counters so tests and benchmarks can see what happened.

export interface FaultSelector {
  service?: string;
  operation?: string;
  region?: string;
}

export interface LatencyFault extends FaultSelector {
  ms: number;
}

export interface ThrottleFault extends FaultSelector {
  ratePerSecond: number;
  /** Bucket size; default: ratePerSecond (at least 1). */
  burst?: number;
}

export interface ErrorFault extends FaultSelector {
  status: 500 | 503;
  /** Only the next `count` matching requests (default: all). */
  count?: number;
  /** Chance that a matching request fails (default 1). */
  probability?: number;
}

export interface DropFault extends FaultSelector {
  count?: number;
}

export interface FaultConfig {
  latency?: LatencyFault[];
  throttle?: ThrottleFault[];
  errors?: ErrorFault[];
  drop?: DropFault[];
}

/** Per `service:Operation` counts since the faults were last set or reset. */
export interface FaultCounters {
  requests: Record<string, number>;
  delayed: Record<string, number>;
  throttled: Record<string, number>;
  errors: Record<string, number>;
  dropped: Record<string, number>;
}

export interface FaultsSnapshot {
  faults: FaultConfig;
  counters: FaultCounters;
  totals: { requests: number; delayed: number; throttled: number; errors: number; dropped: number };
}

export interface FaultTarget {
  service: string;
  operation: string;
  region: string;
}

export type FaultOutcome = { kind: 'pass' } | { kind: 'drop' } | { kind: 'throttle' } | { kind: 'error'; status: number };

export interface FaultDecision {
  delayMs: number;
  outcome: FaultOutcome;
}

export class FaultConfigError extends Error {}

const SELECTOR_KEYS = ['service', 'operation', 'region'];

function checkSelector(rule: Record<string, unknown>, path: string, extraKeys: string[]): void {
  for (const key of Object.keys(rule)) {
    if (!SELECTOR_KEYS.includes(key) && !extraKeys.includes(key)) throw new FaultConfigError(`${path}.${key}: unknown field; expected ${[...SELECTOR_KEYS, ...extraKeys].join(', ')}`);
  }
  for (const key of SELECTOR_KEYS) {
    if (rule[key] !== undefined && (typeof rule[key] !== 'string' || rule[key] === '')) throw new FaultConfigError(`${path}.${key}: must be a non-empty string`);
  }
}

function checkNumber(value: unknown, path: string, min: number, max = Number.POSITIVE_INFINITY, integer = false): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new FaultConfigError(`${path}: must be ${integer ? 'an integer' : 'a number'} from ${min}${Number.isFinite(max) ? ` to ${max}` : ''}, got ${JSON.stringify(value)}`);
  }
}

function ruleList(config: Record<string, unknown>, key: string): Record<string, unknown>[] {
  const list = config[key];
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new FaultConfigError(`${key}: must be an array`);
  return list.map((rule, index) => {
    if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) throw new FaultConfigError(`${key}[${index}]: must be an object`);
    return rule as Record<string, unknown>;
  });
}

/** Validates a fault configuration from the control API, naming the offending field. */
export function validateFaultConfig(input: unknown): FaultConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new FaultConfigError('faults must be a JSON object');
  const config = input as Record<string, unknown>;
  for (const key of Object.keys(config)) {
    if (!['latency', 'throttle', 'errors', 'drop'].includes(key)) throw new FaultConfigError(`${key}: unknown field; expected latency, throttle, errors or drop`);
  }
  ruleList(config, 'latency').forEach((rule, index) => {
    checkSelector(rule, `latency[${index}]`, ['ms']);
    checkNumber(rule.ms, `latency[${index}].ms`, 0, 600_000);
  });
  ruleList(config, 'throttle').forEach((rule, index) => {
    checkSelector(rule, `throttle[${index}]`, ['ratePerSecond', 'burst']);
    checkNumber(rule.ratePerSecond, `throttle[${index}].ratePerSecond`, 0);
    if (rule.burst !== undefined) checkNumber(rule.burst, `throttle[${index}].burst`, 0);
  });
  ruleList(config, 'errors').forEach((rule, index) => {
    checkSelector(rule, `errors[${index}]`, ['status', 'count', 'probability']);
    if (rule.status !== 500 && rule.status !== 503) throw new FaultConfigError(`errors[${index}].status: must be 500 or 503, got ${JSON.stringify(rule.status)}`);
    if (rule.count !== undefined) checkNumber(rule.count, `errors[${index}].count`, 0, Number.MAX_SAFE_INTEGER, true);
    if (rule.probability !== undefined) checkNumber(rule.probability, `errors[${index}].probability`, 0, 1);
  });
  ruleList(config, 'drop').forEach((rule, index) => {
    checkSelector(rule, `drop[${index}]`, ['count']);
    if (rule.count !== undefined) checkNumber(rule.count, `drop[${index}].count`, 0, Number.MAX_SAFE_INTEGER, true);
  });
  return config as FaultConfig;
}

function matches(rule: FaultSelector, target: FaultTarget): boolean {
  return (!rule.service || rule.service.toLowerCase() === target.service)
    && (!rule.operation || rule.operation.toLowerCase() === target.operation.toLowerCase())
    && (!rule.region || rule.region === target.region);
}

interface Bucket {
  tokens: number;
  refilledAt: number;
}

function emptyCounters(): FaultCounters {
  return { requests: {}, delayed: {}, throttled: {}, errors: {}, dropped: {} };
}

function bump(counter: Record<string, number>, key: string): void {
  counter[key] = (counter[key] ?? 0) + 1;
}

/** Milliseconds; the emulator's clock, which tests move forward instead of waiting for buckets to refill. */
export interface FaultClock {
  now(): number;
}

export class FaultInjector {
  private config: FaultConfig = {};
  private counters: FaultCounters = emptyCounters();
  /** Token buckets keyed by rule index, region and operation; refilled as the clock moves. */
  private buckets = new Map<string, Bucket>();
  /** How many more requests each counted error/drop rule may still affect. */
  private remaining = new Map<object, number>();

  constructor(private readonly clock: FaultClock) {}

  set(config: FaultConfig): void {
    this.config = structuredClone(config);
    this.counters = emptyCounters();
    this.buckets.clear();
    this.remaining.clear();
    for (const rule of [...(this.config.errors ?? []), ...(this.config.drop ?? [])]) if (rule.count !== undefined) this.remaining.set(rule, rule.count);
  }

  reset(): void {
    this.set({});
  }

  snapshot(): FaultsSnapshot {
    const total = (counter: Record<string, number>): number => Object.values(counter).reduce((sum, value) => sum + value, 0);
    const counters = structuredClone(this.counters);
    return {
      faults: structuredClone(this.config),
      counters,
      totals: { requests: total(counters.requests), delayed: total(counters.delayed), throttled: total(counters.throttled), errors: total(counters.errors), dropped: total(counters.dropped) },
    };
  }

  /** Decides what happens to one request; counted rules are consumed here. */
  decide(target: FaultTarget): FaultDecision {
    const key = `${target.service}:${target.operation}`;
    bump(this.counters.requests, key);
    let delayMs = 0;
    for (const rule of this.config.latency ?? []) if (matches(rule, target)) delayMs += rule.ms;
    if (delayMs > 0) bump(this.counters.delayed, key);

    for (const rule of this.config.drop ?? []) {
      if (matches(rule, target) && this.consume(rule)) {
        bump(this.counters.dropped, key);
        return { delayMs, outcome: { kind: 'drop' } };
      }
    }
    const throttles = this.config.throttle ?? [];
    for (let index = 0; index < throttles.length; index++) {
      const rule = throttles[index];
      if (matches(rule, target) && !this.takeToken(`${index}|${target.region}|${target.service}:${target.operation}`, rule)) {
        bump(this.counters.throttled, key);
        return { delayMs, outcome: { kind: 'throttle' } };
      }
    }
    for (const rule of this.config.errors ?? []) {
      if (!matches(rule, target)) continue;
      if (rule.probability !== undefined && Math.random() >= rule.probability) continue;
      if (!this.consume(rule)) continue;
      bump(this.counters.errors, key);
      return { delayMs, outcome: { kind: 'error', status: rule.status } };
    }
    return { delayMs, outcome: { kind: 'pass' } };
  }

  private consume(rule: ErrorFault | DropFault): boolean {
    if (rule.count === undefined) return true;
    const left = this.remaining.get(rule) ?? 0;
    if (left <= 0) return false;
    this.remaining.set(rule, left - 1);
    return true;
  }

  /** Rejected requests take no token, as with the real services' token buckets. */
  private takeToken(bucketKey: string, rule: ThrottleFault): boolean {
    const capacity = rule.burst ?? Math.max(1, rule.ratePerSecond);
    const now = this.clock.now();
    let bucket = this.buckets.get(bucketKey);
    if (!bucket) {
      bucket = { tokens: capacity, refilledAt: now };
      this.buckets.set(bucketKey, bucket);
    }
    // A reset moves the emulator clock back; time that went backwards adds no tokens.
    const elapsedMs = Math.max(0, now - bucket.refilledAt);
    bucket.tokens = Math.min(capacity, bucket.tokens + (elapsedMs / 1000) * rule.ratePerSecond);
    bucket.refilledAt = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

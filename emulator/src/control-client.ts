// A small typed client for the control API (/__emulator/...), used by tests, the sandbox and the benchmarks.
// It also plays the connector agent: registerAgent() makes the unsigned SSM call that connector-init makes.
import { randomBytes, randomUUID } from 'node:crypto';
import type { ClockSnapshot, StateDump } from './control';
import type { FaultConfig, FaultsSnapshot } from './faults';
import type { Seed } from './seed';
import type { PingStatus } from './state';

export type { ClockSnapshot, StateDump } from './control';
export type { FaultConfig, FaultCounters, FaultsSnapshot } from './faults';

export class EmulatorControlError extends Error {
  readonly status: number;
  readonly body: unknown;

  constructor(message: string, status: number, body: unknown) {
    super(message);
    this.name = 'EmulatorControlError';
    this.status = status;
    this.body = body;
  }
}

export interface AgentRegistration {
  activationId: string;
  activationCode: string;
  /** Default: a fresh random fingerprint, like connector-init generates. */
  fingerprint?: string;
}

export class EmulatorControl {
  readonly baseUrl: string;

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  async health(): Promise<boolean> {
    try {
      const body = await this.request<{ ok?: boolean }>('GET', 'health');
      return body.ok === true;
    } catch {
      return false;
    }
  }

  /** Replaces all faults (and resets the fault counters). */
  async setFaults(faults: FaultConfig): Promise<FaultsSnapshot> {
    return this.request('POST', 'faults', faults);
  }

  async resetFaults(): Promise<FaultsSnapshot> {
    return this.request('DELETE', 'faults');
  }

  async getFaults(): Promise<FaultsSnapshot> {
    return this.request('GET', 'faults');
  }

  async advanceClock(seconds: number): Promise<ClockSnapshot> {
    return this.request('POST', 'clock', { advanceSeconds: seconds });
  }

  async getClock(): Promise<ClockSnapshot> {
    return this.request('GET', 'clock');
  }

  /** Back to the current seed (state and clock). Faults are left as they are. */
  async reset(): Promise<void> {
    await this.request('POST', 'reset');
  }

  /** Replaces the whole state with a new seed (which `reset()` then returns to). */
  async loadSeed(seed: Seed): Promise<void> {
    await this.request('POST', 'seed', seed);
  }

  async getState(): Promise<StateDump> {
    return this.request('GET', 'state');
  }

  async setInstancePingStatus(instanceId: string, status: PingStatus): Promise<void> {
    await this.request('POST', `instances/${encodeURIComponent(instanceId)}/ping-status`, { status });
  }

  /** The Kubernetes version ("1.31") a connected agent reports for the cluster of its activation; shown once ACTIVE. */
  async reportKubernetesVersion(activationId: string, version: string): Promise<void> {
    await this.request('POST', `activations/${encodeURIComponent(activationId)}/kubernetes-version`, { version });
  }

  /**
   * Registers one connector agent replica with an activation, exactly as connector-init does (unsigned SSM
   * RegisterManagedInstance); the cluster becomes ACTIVE. Returns the managed instance id.
   */
  async registerAgent(registration: AgentRegistration): Promise<string> {
    const response = await fetch(`${this.baseUrl}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.RegisterManagedInstance' },
      body: JSON.stringify({
        ActivationId: registration.activationId,
        ActivationCode: registration.activationCode,
        // A DER SubjectPublicKeyInfo of an RSA-2048 key is 294 bytes: 392 base64 characters.
        PublicKey: randomBytes(294).toString('base64'),
        PublicKeyType: 'Rsa',
        Fingerprint: registration.fingerprint ?? randomUUID(),
      }),
    });
    const body = (await response.json()) as { InstanceId?: string; __type?: string; Message?: string };
    if (!response.ok || !body.InstanceId) throw new EmulatorControlError(`RegisterManagedInstance failed: ${body.__type ?? response.status}: ${body.Message ?? ''}`, response.status, body);
    return body.InstanceId;
  }

  private async request<T>(method: string, route: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}/__emulator/${route}`, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const parsed: unknown = text ? JSON.parse(text) : {};
    if (!response.ok) {
      const error = (parsed as { error?: string } | null)?.error ?? text;
      throw new EmulatorControlError(`${method} /__emulator/${route} failed (${response.status}): ${error}`, response.status, parsed);
    }
    return parsed as T;
  }
}

/** Alias kept for readers who look for "client" in the name. */
export { EmulatorControl as EmulatorControlClient };

export function createControlClient(baseUrl: string): EmulatorControl {
  return new EmulatorControl(baseUrl);
}

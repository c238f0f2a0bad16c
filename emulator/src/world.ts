// The running emulator's mutable world: state, clock, the seed it can be reset to, pagination tokens and the
// optional state file. Service handlers reach state only through this object.
import { randomBytes } from 'node:crypto';
import { EmulatorClock } from './clock';
import { settleRegion } from './lifecycle';
import { StateWriter, STATE_FILE_FORMAT, type PersistedWorld } from './persistence';
import type { Seed } from './seed';
import {
  DEFAULT_CONNECTED_CLUSTER_QUOTA, accountState, regionState, stateFromSeed, type AccountState, type EmulatorState, type RegionState,
} from './state';
import { PageTokens } from './tokens';

export class World {
  state: EmulatorState;
  seed: Seed;
  readonly clock: EmulatorClock;
  readonly tokens: PageTokens;
  private readonly tokenKey: Buffer;
  private writer: StateWriter | undefined;

  constructor(seed: Seed, persisted?: PersistedWorld) {
    this.seed = seed;
    this.tokenKey = persisted ? Buffer.from(persisted.tokenKey, 'base64') : randomBytes(32);
    this.tokens = new PageTokens(this.tokenKey);
    this.clock = new EmulatorClock(persisted?.state.clockOffsetMs ?? 0);
    this.state = persisted?.state ?? stateFromSeed(seed, this.clock.now());
  }

  persistTo(path: string): void {
    this.writer = new StateWriter(path, () => this.serialize());
    this.writer.schedule();
  }

  now(): number {
    return this.clock.now();
  }

  /** Call after every mutation that should survive a restart. */
  changed(): void {
    this.writer?.schedule();
  }

  async flush(): Promise<void> {
    await this.writer?.flush();
  }

  serialize(): PersistedWorld {
    this.state.clockOffsetMs = this.clock.offset;
    return { format: STATE_FILE_FORMAT, seed: this.seed, tokenKey: this.tokenKey.toString('base64'), state: this.state };
  }

  /** Back to the seed: state and clock both start over. */
  reset(seed: Seed = this.seed): void {
    this.seed = seed;
    this.clock.setOffset(0);
    this.state = stateFromSeed(seed, this.clock.now());
    this.changed();
  }

  advanceClock(seconds: number): void {
    this.clock.advance(seconds);
    this.changed();
  }

  account(accountId: string): AccountState {
    return accountState(this.state, accountId);
  }

  region(accountId: string, region: string): RegionState {
    return regionState(this.state, accountId, region);
  }

  connectedClusterQuota(region: string): number {
    return this.state.connectedClusterQuotas[region] ?? DEFAULT_CONNECTED_CLUSTER_QUOTA;
  }

  /** Applies every clock-driven transition everywhere (for the state dump). */
  settleAll(): void {
    const now = this.now();
    for (const account of Object.values(this.state.accounts)) for (const region of Object.values(account.regions)) settleRegion(region, now);
  }
}

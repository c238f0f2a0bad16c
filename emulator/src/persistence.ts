// Persists the world to a JSON file after each mutation. Writes go to a temporary file that is renamed over the
// target (atomic on POSIX), are asynchronous, and coalesce: at most one write is in flight and one more queued.
import { existsSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import type { Seed } from './seed';
import type { EmulatorState } from './state';

export const STATE_FILE_FORMAT = 'eks-connector-aws-emulator-state';

export interface PersistedWorld {
  format: typeof STATE_FILE_FORMAT;
  seed: Seed;
  /** Base64 key of the pagination-token HMAC, so tokens stay valid across restarts. */
  tokenKey: string;
  state: EmulatorState;
}

export class StateFileError extends Error {}

/** Synchronous on purpose: only used once at start-up, before the server listens. */
export function readStateFile(path: string): PersistedWorld | undefined {
  if (!existsSync(path)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new StateFileError(`State file ${path} is not valid JSON (${(error as Error).message}); delete it to start from the seed.`);
  }
  const record = parsed as Partial<PersistedWorld> | null;
  if (!record || record.format !== STATE_FILE_FORMAT || !record.state || record.state.formatVersion !== 1 || typeof record.tokenKey !== 'string') {
    throw new StateFileError(`State file ${path} was not written by this emulator version; delete it to start from the seed.`);
  }
  return record as PersistedWorld;
}

export class StateWriter {
  private readonly path: string;
  private readonly snapshot: () => PersistedWorld;
  private writing: Promise<void> | undefined;
  private dirty = false;
  private lastError: Error | undefined;
  /** Until the first write succeeds, failures reach the caller of flush() (start-up) instead of the log. */
  private wroteOnce = false;

  constructor(path: string, snapshot: () => PersistedWorld) {
    this.path = path;
    this.snapshot = snapshot;
  }

  schedule(): void {
    this.dirty = true;
    if (!this.writing) this.writing = this.drain();
  }

  /** Resolves once everything scheduled so far is on disk. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.lastError) {
      const error = this.lastError;
      this.lastError = undefined;
      throw error;
    }
  }

  private async drain(): Promise<void> {
    try {
      while (this.dirty) {
        this.dirty = false;
        const temporary = `${this.path}.${process.pid}.tmp`;
        try {
          await writeFile(temporary, JSON.stringify(this.snapshot()));
          await rename(temporary, this.path);
          this.wroteOnce = true;
        } catch (error) {
          this.lastError = error as Error;
          if (this.wroteOnce) console.error(`AWS emulator: could not write state file ${this.path}: ${(error as Error).message}`);
        }
      }
    } finally {
      this.writing = undefined;
    }
  }
}

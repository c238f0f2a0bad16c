// Retry policy shared by every AWS call. The SDK clients are built with maxAttempts 1 so that this is the only
// retry layer: throttling is retried with short jittered pauses until a deadline (a region throttled at N req/s then
// drains at close to N req/s instead of backing off exponentially), other transient failures with a few
// exponential attempts, and everything else fails at once.
import { isThrottlingError, isTransientError } from './errors';
import { sleep, throwIfAborted } from '../util/abort';

export interface RetryOptions {
  readonly signal?: AbortSignal;
  /** Give up on throttling after this long (ms). */
  readonly throttleDeadlineMs?: number;
  /** Attempts for non-throttling transient errors (5xx, dropped connections). */
  readonly transientAttempts?: number;
  /** Called on each throttled attempt, e.g. to count them in a benchmark. */
  readonly onThrottled?: () => void;
  readonly random?: () => number;
}

export async function callWithRetry<T>(call: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const random = options.random ?? Math.random;
  const throttleDeadline = Date.now() + (options.throttleDeadlineMs ?? 60_000);
  const transientAttempts = options.transientAttempts ?? 4;
  let transientFailures = 0;
  let throttledInARow = 0;
  for (;;) {
    throwIfAborted(options.signal);
    try {
      return await call();
    } catch (error) {
      if (isThrottlingError(error)) {
        options.onThrottled?.();
        if (Date.now() >= throttleDeadline) throw error;
        // A token is typically free again within 1/rate seconds; pause ~100-250 ms, a little longer if
        // this request keeps losing the race.
        throttledInARow++;
        const base = Math.min(100 + 25 * throttledInARow, 250);
        await sleep(base + random() * 100, options.signal);
        continue;
      }
      if (isTransientError(error) && ++transientFailures < transientAttempts) {
        await sleep(Math.min(200 * 2 ** (transientFailures - 1), 2000) * (0.5 + random()), options.signal);
        continue;
      }
      throw error;
    }
  }
}

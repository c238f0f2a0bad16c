import assert from 'node:assert/strict';
import { callWithRetry } from '../../src/core/aws/retry';

const throttle = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $retryable: { throttling: true } });
const serverError = () => Object.assign(new Error('boom'), { name: 'ServerException', $metadata: { httpStatusCode: 500 } });

describe('callWithRetry', () => {
  it('retries throttling until the call succeeds', async () => {
    let calls = 0;
    let throttled = 0;
    const result = await callWithRetry(async () => { if (++calls < 4) throw throttle(); return 'ok'; }, { onThrottled: () => throttled++, random: () => 0 });
    assert.equal(result, 'ok');
    assert.equal(calls, 4);
    assert.equal(throttled, 3);
  });

  it('gives up on throttling after the deadline', async () => {
    await assert.rejects(callWithRetry(async () => { throw throttle(); }, { throttleDeadlineMs: 250, random: () => 0 }), /Rate exceeded/);
  });

  it('retries server errors a bounded number of times', async () => {
    let calls = 0;
    await assert.rejects(callWithRetry(async () => { calls++; throw serverError(); }, { transientAttempts: 3, random: () => 0 }), /boom/);
    assert.equal(calls, 3);
  });

  it('does not retry client errors', async () => {
    let calls = 0;
    const denied = Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });
    await assert.rejects(callWithRetry(async () => { calls++; throw denied; }), /denied/);
    assert.equal(calls, 1);
  });

  it('stops waiting as soon as it is cancelled', async () => {
    // Cancelled as the pause before the retry begins: the call ends before any timer could fire, with no further attempt.
    const abort = new AbortController();
    let calls = 0;
    const retrying = callWithRetry(async () => { calls++; throw throttle(); }, { signal: abort.signal, onThrottled: () => abort.abort() });
    const outcome = await Promise.race([retrying.then(() => 'resolved', (e: Error) => e.name), new Promise((resolve) => setImmediate(() => resolve('still waiting')))]);
    assert.equal(outcome, 'CancelledError');
    assert.equal(calls, 1);
  });
});

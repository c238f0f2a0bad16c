// Awaits a call that must fail and returns its error (an SDK error carries $metadata with the HTTP status).
import assert from 'node:assert/strict';

export type SdkError = Error & {
  $metadata: { httpStatusCode?: number; requestId?: string; attempts?: number };
  $response?: { headers: Record<string, string> };
  code?: string;
};

export async function rejection(promise: Promise<unknown>): Promise<SdkError> {
  try {
    await promise;
  } catch (error) {
    return error as SdkError;
  }
  assert.fail('expected the call to fail');
}

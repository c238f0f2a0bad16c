// Unwraps a ValidationResult in tests: the failure (with its message) or the validated value.
import assert from 'node:assert/strict';
import type { ValidationResult } from '../../src/core/connector/names';

export function failure<T>(result: ValidationResult<T>): { message: string; hint?: string } {
  assert.equal(result.ok, false, `expected a failure, got ${JSON.stringify(result)}`);
  if (result.ok) throw new Error('unreachable');
  return result;
}

export function success<T>(result: ValidationResult<T>): T {
  if (!result.ok) assert.fail(`expected success, got: ${result.message}`);
  return result.value;
}

// The text of the dialog that asks whether to roll back or keep a connect that failed after RegisterCluster. Pure (no
// vscode import), so its redaction is unit-tested: the error may quote what the cluster or AWS answered, and the
// activation code is known to the redactor from the moment RegisterCluster returned it.
import type { SecretRedactor } from '../core/util/redact';
import { isCancellation } from '../core/util/abort';

export interface RollbackDialogText {
  readonly message: string;
  readonly detail: string;
}

export function rollbackDialogText(name: string, error: unknown, created: readonly string[], redactor: Pick<SecretRedactor, 'redact'>): RollbackDialogText {
  const reason = error instanceof Error ? error.message : String(error);
  if (isCancellation(error)) {
    return {
      message: `Connecting ${name} was cancelled`,
      detail: redactor.redact(`Created so far: ${created.join('; ')}. Roll Back removes all of it; Keep leaves it, and the connector goes on connecting: you are told when ${name} becomes ACTIVE.`),
    };
  }
  return {
    message: redactor.redact(`Connecting ${name} failed: ${reason}`),
    detail: redactor.redact(`Created so far: ${created.join('; ')}. Roll back removes all of it; Keep leaves it for you to repair or deregister.`),
  };
}

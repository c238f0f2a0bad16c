// Every command runs through runCommand: it logs start and duration, treats cancellation as normal, and shows a
// failure with what failed and a "Show Log" action. Messages pass through the redactor.
import * as vscode from 'vscode';
import { isCancellation } from '../core/util/abort';
import type { Logger } from './logger';
import { commandFailureMessage } from './failureMessage';

/** An error whose message is already written for the user (what failed, for which input, what to do). */
export class UserFacingError extends Error {
  constructor(message: string, readonly actions: ReadonlyArray<{ title: string; run: () => unknown }> = []) {
    super(message);
    this.name = 'UserFacingError';
  }
}

export type CommandHandler = (...args: never[]) => unknown;
export type CommandTable = Readonly<Record<string, CommandHandler>>;

/** `title` is the command's title from package.json (contributes.commands): failures name the command by it, never by id. */
export async function runCommand(logger: Logger, id: string, handler: CommandHandler | undefined, args: unknown[], title = id.replace(/^eksConnector\./, '')): Promise<unknown> {
  const log = logger.scoped('command');
  if (!handler) {
    log.error(`${id} has no handler`);
    return undefined;
  }
  const started = Date.now();
  log.debug(`${id} started`);
  try {
    const result = await (handler as (...a: unknown[]) => unknown)(...args);
    log.info(`${id} finished in ${Date.now() - started} ms`);
    return result;
  } catch (error) {
    if (isCancellation(error) || error instanceof vscode.CancellationError) {
      log.info(`${id} cancelled after ${Date.now() - started} ms`);
      return undefined;
    }
    log.error(`${id} failed after ${Date.now() - started} ms`, error);
    const message = commandFailureMessage(title, error, error instanceof UserFacingError);
    const actions = error instanceof UserFacingError ? error.actions : [];
    void vscode.window
      .showErrorMessage(logger.redactor.redact(message), ...actions.map((a) => a.title), 'Show Log')
      .then((choice) => {
        if (choice === 'Show Log') logger.show();
        else actions.find((a) => a.title === choice)?.run();
      });
    return undefined;
  }
}

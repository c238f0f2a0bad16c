// Steps of a guided command in one quick input, with a Back button: each step resolves to the user's answer, BACK
// (the Back button), or undefined (Escape or focus lost). The wizard keeps the answers, so going back shows them again.
import * as vscode from 'vscode';

export const BACK = Symbol('back');
export type StepResult<T> = T | typeof BACK | undefined;

export interface StepPosition {
  readonly title: string;
  readonly step: number;
  readonly totalSteps: number;
}

export function pickStep<T extends vscode.QuickPickItem>(
  position: StepPosition, items: readonly T[], options: { placeholder?: string; active?: (item: T) => boolean; canPickMany?: boolean; busy?: boolean } = {},
): Promise<StepResult<T[]>> {
  const pick = vscode.window.createQuickPick<T>();
  Object.assign(pick, { title: position.title, step: position.step, totalSteps: position.totalSteps, placeholder: options.placeholder, canSelectMany: options.canPickMany === true, matchOnDescription: true, ignoreFocusOut: true });
  pick.buttons = position.step > 1 ? [vscode.QuickInputButtons.Back] : [];
  pick.items = items;
  const active = options.active ? items.filter(options.active) : [];
  if (options.canPickMany) pick.selectedItems = active;
  else if (active.length) pick.activeItems = [active[0]];
  return new Promise((resolve) => {
    let done = false;
    const finish = (value: StepResult<T[]>) => {
      if (done) return;
      done = true;
      resolve(value);
      pick.dispose();
    };
    pick.onDidTriggerButton((button) => { if (button === vscode.QuickInputButtons.Back) finish(BACK); });
    pick.onDidAccept(() => finish(options.canPickMany ? [...pick.selectedItems] : [...pick.selectedItems].slice(0, 1)));
    pick.onDidHide(() => finish(undefined));
    pick.show();
  });
}

export interface InputStepOptions {
  readonly value: string;
  readonly prompt?: string;
  /** Checked at once as typed: a message refuses the value. */
  readonly validate: (value: string) => string | undefined;
  /** Checked once typing pauses (debounced): an error refuses, a warning only informs. */
  readonly check?: (value: string) => Promise<{ message: string; severity: 'error' | 'warning' } | undefined>;
  readonly debounceMs?: number;
}

export function inputStep(position: StepPosition, options: InputStepOptions): Promise<StepResult<string>> {
  const input = vscode.window.createInputBox();
  Object.assign(input, { title: position.title, step: position.step, totalSteps: position.totalSteps, value: options.value, prompt: options.prompt, ignoreFocusOut: true });
  input.buttons = position.step > 1 ? [vscode.QuickInputButtons.Back] : [];
  let generation = 0;
  let timer: NodeJS.Timeout | undefined;
  let pending: Promise<boolean> = Promise.resolve(true);
  const validate = (value: string) => {
    const mine = ++generation;
    clearTimeout(timer);
    const message = options.validate(value);
    input.validationMessage = message;
    if (message || !options.check) {
      pending = Promise.resolve(!message);
      return;
    }
    input.busy = true;
    pending = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => {
        options.check!(value).then((found) => {
          if (mine !== generation) return resolve(false);
          input.validationMessage = found ? { message: found.message, severity: found.severity === 'error' ? vscode.InputBoxValidationSeverity.Error : vscode.InputBoxValidationSeverity.Warning } : undefined;
          input.busy = false;
          resolve(found?.severity !== 'error');
        }, () => resolve(false));
      }, options.debounceMs ?? 400);
    });
  };
  validate(options.value);
  return new Promise((resolve) => {
    let done = false;
    const finish = (value: StepResult<string>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(value);
      input.dispose();
    };
    input.onDidChangeValue(validate);
    input.onDidTriggerButton((button) => { if (button === vscode.QuickInputButtons.Back) finish(BACK); });
    input.onDidAccept(async () => {
      const value = input.value;
      // Enter waits for the check of what is typed now.
      const mine = generation;
      if (await pending && mine === generation && value === input.value) finish(value);
    });
    input.onDidHide(() => finish(undefined));
    input.show();
  });
}

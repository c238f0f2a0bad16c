// The plan of one activation-bench run, which bench/activation.ts writes before each extension-host start and
// test/vscode/harness/activationProbe.ts reads inside it. No `vscode` import: the bench runs outside VS Code.

/**
 * cold: the first extension activated is the first in this extension host to create a tree view and register a
 * command, so it also pays for VS Code compiling those code paths (the ones activated after it do not).
 * warm: the probe created a tree view and registered a command first, as any other extension with a view would
 * have in a user's window, so what is left is each extension's own cost.
 */
export type HostMode = 'cold' | 'warm';

export interface RunPlan {
  host: HostMode;
  /** Extension ids, activated in this order. */
  order: string[];
}

/** Where the plan of run `iteration` lies, beside the results file. */
export const planFile = (resultsFile: string, iteration: number) => `${resultsFile}.plan-${iteration}`;

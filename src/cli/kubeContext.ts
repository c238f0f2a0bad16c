// The CLI's kube context: loads the kubeconfig files and picks the context, or raises an InputError naming every
// problem (the file, the line of a YAML error, the fix). Runs after the arguments are checked and before AWS is called.
import type * as k8s from '@kubernetes/client-node';
import { KubeconfigError, kubeConfigFor, loadKubeconfig, type KubeconfigProblem } from '../core/kube/kubeconfig';
import { InputError, type InputProblem } from './args';

export interface ContextChoice {
  readonly command: string;
  readonly context?: string;
  /** --kubeconfig as given; absent: KUBECONFIG, then ~/.kube/config. */
  readonly kubeconfig?: string;
}

/**
 * The kubeconfig of the chosen context. Refused, before AWS is called: a kubeconfig that cannot be read whole, and a
 * --context it does not define or cannot use. Without --context the current context is taken when `required`;
 * otherwise (the commands that find the cluster of a registration themselves) undefined is returned.
 */
export async function kubeConfigForCli(choice: ContextChoice & { readonly required?: true }): Promise<k8s.KubeConfig>;
export async function kubeConfigForCli(choice: ContextChoice & { readonly required: boolean }): Promise<k8s.KubeConfig | undefined>;
export async function kubeConfigForCli(choice: ContextChoice & { readonly required?: boolean }): Promise<k8s.KubeConfig | undefined> {
  const loaded = await loadKubeconfig(choice.kubeconfig !== undefined ? { kubeconfigEnv: choice.kubeconfig } : {});
  const source = choice.kubeconfig !== undefined ? '--kubeconfig' : (process.env.KUBECONFIG ?? '').trim() !== '' ? 'KUBECONFIG' : undefined;
  const notRun = `${choice.command} was not run: the kubeconfig cannot be used; AWS was not called and nothing was changed.`;

  // kubectl refuses a kubeconfig it cannot read whole: a file skipped here might define the chosen context first.
  const broken = loaded.problems.filter((p) => blocksEveryContext(p, source === '--kubeconfig'));
  if (broken.length > 0) throw new InputError(notRun, broken.map((p) => fileProblem(p, source)));

  if (choice.context === undefined && choice.required === false) return undefined;
  const name = choice.context ?? loaded.currentContext;
  if (!name) {
    const contexts = loaded.contexts.map((c) => c.name);
    const why = loaded.problems.find((p) => p.kind === 'noContexts') ?? (contexts.length === 0 ? loaded.problems.find((p) => p.kind === 'missingFile') : undefined);
    throw new InputError(notRun, [{
      option: '--context',
      message: why
        ? `${why.message} ${why.fix}`
        : `No context chosen: --context is not given and no current context is set in ${loaded.files.join(', ')}. Pass --context <name>, one of: ${contexts.join(', ')}.`,
    }]);
  }
  try {
    return kubeConfigFor(name, loaded);
  } catch (error) {
    if (!(error instanceof KubeconfigError)) throw error;
    throw new InputError(notRun, error.problems.map((p) => ({
      option: '--context', value: name, ...(p.file ? { file: p.file } : {}), message: `${p.message} ${p.fix}`,
    })));
  }
}

/** File-level errors: a file that is not YAML, cannot be read, or (when named with --kubeconfig) does not exist. */
function blocksEveryContext(problem: KubeconfigProblem, explicit: boolean): boolean {
  if (problem.context !== undefined) return false;
  if (problem.kind === 'missingFile') return explicit;
  return problem.severity === 'error' && ['parseError', 'unreadableFile', 'invalidEntry'].includes(problem.kind);
}

function fileProblem(problem: KubeconfigProblem, source: string | undefined): InputProblem {
  const leaveOut = source ? `, or leave it out of ${source}` : '';
  const fix = problem.kind === 'parseError' && problem.file
    ? `Fix ${problem.file}${problem.line !== undefined ? ` at line ${problem.line}` : ''}${leaveOut}.`
    : problem.kind === 'missingFile' && problem.file
      ? `Check the path${leaveOut}.`
      : problem.fix;
  return {
    ...(source === '--kubeconfig' ? { option: '--kubeconfig' } : {}),
    ...(problem.file ? { file: problem.file } : {}),
    ...(problem.line !== undefined ? { line: problem.line } : {}),
    message: `${problem.message} ${fix}`,
  };
}

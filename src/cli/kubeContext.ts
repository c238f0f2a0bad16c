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

export async function kubeConfigForCli(choice: ContextChoice): Promise<k8s.KubeConfig> {
  const loaded = await loadKubeconfig(choice.kubeconfig !== undefined ? { kubeconfigEnv: choice.kubeconfig } : {});
  const source = choice.kubeconfig !== undefined ? '--kubeconfig' : (process.env.KUBECONFIG ?? '').trim() !== '' ? 'KUBECONFIG' : undefined;
  const notRun = `${choice.command} was not run: the kubeconfig cannot be used; AWS was not called and nothing was changed.`;

  // kubectl refuses a kubeconfig it cannot read whole: a file skipped here might define the chosen context first.
  const broken = loaded.problems.filter((p) => blocksEveryContext(p, source === '--kubeconfig'));
  if (broken.length > 0) throw new InputError(notRun, broken.map((p) => fileProblem(p, source)));

  const name = choice.context ?? loaded.currentContext;
  if (!name) {
    const contexts = loaded.contexts.map((c) => c.name);
    const noContexts = loaded.problems.find((p) => p.kind === 'noContexts');
    throw new InputError(notRun, [{
      option: '--context',
      message: noContexts
        ? `${noContexts.message} ${noContexts.fix}`
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
  if (problem.kind === 'missingFile') return explicit || problem.severity === 'error';
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

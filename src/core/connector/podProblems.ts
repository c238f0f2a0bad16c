// What is wrong with a connector pod, in the words `kubectl get pods` would use (Init:Error, CrashLoopBackOff,
// ImagePullBackOff, Pending/Unschedulable), with the command that shows more.
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { CONTAINER } from './manifest';
import { shellCommand } from '../util/shellQuote';

export interface PodProblem {
  readonly pod: string;
  /** kubectl's STATUS column, e.g. "Init:CrashLoopBackOff". */
  readonly state: string;
  readonly message: string;
  /** True when the pod keeps failing (crash loop, pull back-off, unschedulable) rather than failing once. */
  readonly persistent: boolean;
}

function containerProblem(status: V1ContainerStatus, init: boolean): { state: string; message: string; persistent: boolean } | undefined {
  const prefix = init ? 'Init:' : '';
  const waiting = status.state?.waiting;
  if (waiting?.reason && /CrashLoopBackOff|ImagePullBackOff|ErrImagePull|CreateContainerConfigError|InvalidImageName/.test(waiting.reason)) {
    const last = status.lastState?.terminated;
    const lastRun = last ? ` (last run exited with code ${last.exitCode}${last.reason ? `, ${last.reason}` : ''})` : '';
    return { state: `${prefix}${waiting.reason}`, message: `${status.name}: ${waiting.reason}${lastRun}${waiting.message ? `: ${waiting.message}` : ''}`, persistent: true };
  }
  const terminated = status.state?.terminated;
  if (terminated && terminated.exitCode !== 0) {
    return { state: `${prefix}Error`, message: `${status.name} exited with code ${terminated.exitCode}${terminated.reason ? ` (${terminated.reason})` : ''}`, persistent: false };
  }
  return undefined;
}

export function podProblem(pod: V1Pod): PodProblem | undefined {
  const name = pod.metadata?.name ?? '(unnamed pod)';
  for (const status of pod.status?.initContainerStatuses ?? []) {
    const problem = containerProblem(status, true);
    if (problem) return { pod: name, ...problem };
  }
  for (const status of pod.status?.containerStatuses ?? []) {
    const problem = containerProblem(status, false);
    if (problem) return { pod: name, ...problem };
  }
  const unschedulable = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (pod.status?.phase === 'Pending' && unschedulable) {
    return { pod: name, state: 'Pending', message: `not scheduled: ${unschedulable.message ?? unschedulable.reason ?? 'no node fits'}`, persistent: true };
  }
  return undefined;
}

/** The command that shows the failing container's log, each name quoted for the shell. */
export function logsCommand(problem: PodProblem, namespace: string, context?: string): string {
  const container = problem.state.startsWith('Init:') ? CONTAINER.init : CONTAINER.proxy;
  return shellCommand(['kubectl', ...(context ? ['--context', context] : []), 'logs', problem.pod, '-c', container, '-n', namespace]);
}

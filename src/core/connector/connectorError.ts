// A connector operation's failure as the user needs it: what failed, its class (the CLI's exit code), what to do,
// and what is left behind. AWS and Kubernetes failures are turned into one here, described by their own modules.
import { describeAwsError } from '../aws/errors';
import { describeKubeError } from '../kube/errors';
import { KubeApplyError, describeRef, type FieldConflict } from '../kube/kubeCluster';
import { isCancellation } from '../util/abort';

export type FailureCategory = 'input' | 'preflight' | 'aws' | 'cluster' | 'cancelled';

export interface ConnectorCheck {
  readonly id: string;
  readonly title: string;
  readonly status: 'pass' | 'fail' | 'warn';
  readonly reason?: string;
  readonly fix?: string;
  readonly details?: string[];
}

/** A server-side apply that stopped because another field manager owns fields of `object` (e.g. "ClusterRole x"). */
export interface ApplyConflict {
  readonly object: string;
  readonly fields: readonly FieldConflict[];
}

/** A failure with what the user should know: its class (for exit codes), and what is left behind. */
export class ConnectorError extends Error {
  constructor(
    message: string,
    readonly category: FailureCategory,
    readonly remaining: readonly string[] = [],
    readonly checks?: readonly ConnectorCheck[],
    readonly fix?: string,
    /** Set when the failure is an apply conflict: a retry with `forceConflicts` takes these fields over. */
    readonly conflict?: ApplyConflict,
  ) {
    super(message);
    this.name = 'ConnectorError';
  }
}

/** Runs an AWS call; a failure other than a cancellation becomes a ConnectorError of category 'aws'. */
export async function awsStep<T>(call: () => Promise<T>, activity: string, action?: string): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isCancellation(error) || error instanceof ConnectorError) throw error;
    const d = describeAwsError(error, { activity, action });
    throw new ConnectorError(`${d.summary}: ${d.reason}`, 'aws', [], undefined, d.fix);
  }
}

/** Runs a cluster call through `context`; a failure other than a cancellation becomes a ConnectorError of category 'cluster'. */
export async function kubeStep<T>(call: () => Promise<T>, activity: string, context: string | undefined): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isCancellation(error) || error instanceof ConnectorError) throw error;
    if (error instanceof KubeApplyError && error.conflicts.length > 0) {
      const object = describeRef(error.failed);
      throw new ConnectorError(`${activity} failed at ${object}: ${error.described.reason}`, 'cluster', [], undefined, error.described.fix, { object, fields: error.conflicts });
    }
    const d = describeKubeError(error, { activity, context });
    throw new ConnectorError(`${d.summary}: ${d.reason}`, 'cluster', [], undefined, d.fix);
  }
}

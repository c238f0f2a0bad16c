// A registration over its life: the wait for ACTIVE (watching the connector pods meanwhile), its status, repair
// (re-applying the connector while keeping its Secret, grants, images and placement), and deregistration with
// everything it brought: the connector in the cluster, the agents' SSM instances and a role made for it.
import type { Cluster } from '@aws-sdk/client-eks';
import type { V1StatefulSet } from '@kubernetes/client-node';
import { describeAwsError } from '../aws/errors';
import { describeKubeError } from '../kube/errors';
import { describeRef } from '../kube/kubeCluster';
import { isCancellation } from '../util/abort';
import { CONNECTOR_NAMESPACE } from './names';
import { installedConnector, manifestToYaml, nonSecretObjects, renderConnectorManifest } from './manifest';
import type { ConsoleAccessGrant } from './consoleAccess';
import type { ImageOverrides } from './images';
import { podProblem, logsCommand, type PodProblem } from './podProblems';
import { ConnectorError, awsStep, kubeStep } from './connectorError';
import type { ClusterTarget, ConnectorContext, OperationReport } from './connectorContext';
import { FIELD_MANAGER, MANAGED_KINDS, PLACEHOLDER_ACTIVATION_CODE, STATEFUL_SET_REF, belongsTo, listManaged, manifestObjects, toRef } from './connectorObjects';
import { appliedLine, type ApplyChoice, type ConsoleGrants } from './consoleGrants';

export interface ConnectorStatus {
  readonly cluster?: Cluster;
  readonly pods: Array<{ name: string; phase: string; problem?: string }>;
  /** Who has console access and to what; format with formatGrant for display. */
  readonly grants: ConsoleAccessGrant[];
  /** Why the grants could not be read (then `grants` is empty for that reason, not because nobody has access). */
  readonly grantsError?: string;
}

/** "arn:… (full access)", "arn:… (namespaces a, b)": the display form (the CLI prints and emits it). */
export function formatGrant(grant: ConsoleAccessGrant): string {
  return `${grant.principalArn} (${grant.scope.kind === 'full' ? 'full access' : `namespaces ${grant.scope.namespaces.join(', ')}`})`;
}

export interface WaitOptions {
  readonly signal?: AbortSignal;
  /** Progress while waiting: `activationExpiry` for a countdown, `podProblem` as one is seen. */
  readonly onProgress?: (progress: { step: 'connect'; message: string; activationExpiry?: Date; podProblem?: PodProblem }) => void;
  readonly waitTimeoutMs?: number;
  readonly pollIntervalMs?: number;
}

export interface DeregisterOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (message: string) => void;
  /** Whether to remove the connector from the cluster too (default: when a cluster is at hand). */
  readonly kube?: boolean;
}

export class ConnectorLifecycle {
  constructor(private readonly ctx: ConnectorContext, private readonly grants: ConsoleGrants) {}

  /** The registration and, when a cluster is at hand, what runs in it. */
  async status(target: ClusterTarget, signal?: AbortSignal): Promise<ConnectorStatus> {
    const cluster = await awsStep(() => this.ctx.aws.describe(target.region, target.name, signal), `Looking up ${target.name}`, 'eks:DescribeCluster');
    if (!this.ctx.hasKube) return { cluster, pods: [], grants: [] };
    const pods = await this.ctx.kube.listPods(CONNECTOR_NAMESPACE, 'app=eks-connector', signal).catch(() => []);
    const read = await this.grants.current(signal).then((grants) => ({ grants }), (error: unknown) => {
      if (isCancellation(error)) throw error;
      const e = error as { message?: string; fix?: string };
      return { grants: [], grantsError: [e.message ?? String(error), e.fix].filter(Boolean).join(' ') };
    });
    return {
      cluster,
      pods: pods.map((p) => ({ name: p.metadata?.name ?? '', phase: p.status?.phase ?? 'Unknown', problem: podProblem(p)?.message })),
      ...read,
    };
  }

  /**
   * Re-applies the non-secret objects of a connected cluster, keeping its Secret and its current grants. The
   * connector keeps the images and node placement it runs with; `whenMissing` applies only when its StatefulSet is gone.
   */
  async repair(target: ClusterTarget, signal?: AbortSignal, whenMissing: { nodeSelector?: boolean; images?: ImageOverrides } = {}, options: ApplyChoice = {}): Promise<OperationReport> {
    const cluster = await awsStep(() => this.ctx.aws.describe(target.region, target.name, signal), `Looking up ${target.name}`, 'eks:DescribeCluster');
    if (!cluster?.connectorConfig) throw new ConnectorError(`${target.name} is not a connected cluster in ${target.region}.`, 'input');
    const current = await this.grants.current(signal);
    if (current.length === 0) throw new ConnectorError('The cluster has no console access grants to keep; register it again or grant access first.', 'cluster');
    const stateful = await this.ctx.kube.read<V1StatefulSet>(STATEFUL_SET_REF, signal);
    const installed = stateful && installedConnector(stateful.spec?.template.spec);
    const keep = installed ? { nodeSelector: installed.linuxAmd64NodeSelector, images: installed.images } : { nodeSelector: whenMissing.nodeSelector ?? true, images: whenMissing.images };
    const { done } = await this.repairWith(target, cluster, current, keep, signal, options);
    return { done, remaining: [] };
  }

  /** Re-applies the non-secret objects of `cluster`'s connector with these grants and placement; returns them as YAML too. */
  async repairWith(target: ClusterTarget, cluster: Cluster, grants: readonly ConsoleAccessGrant[], plan: { nodeSelector: boolean; images?: ImageOverrides }, signal?: AbortSignal, options: ApplyChoice = {}): Promise<{ done: string[]; yaml: string }> {
    const kube = this.ctx.kube;
    const manifest = renderConnectorManifest({
      clusterName: target.name, region: target.region, activationId: cluster.connectorConfig!.activationId!, activationCode: PLACEHOLDER_ACTIVATION_CODE,
      images: plan.images, linuxAmd64NodeSelector: plan.nodeSelector, consoleAccess: [...grants],
    });
    const objects = nonSecretObjects(manifest);
    const done: string[] = [];
    await kubeStep(() => kube.apply(manifestObjects(objects), { fieldManager: FIELD_MANAGER, signal, forceConflicts: options.forceConflicts, onApplied: (a) => done.push(appliedLine(a)) }), 'Re-applying the connector', kube.contextName);
    return { done, yaml: manifestToYaml(objects) };
  }

  /** Polls DescribeCluster until ACTIVE while watching the connector pods; problems are reported as they happen. */
  async waitUntilActive(region: string, name: string, activationExpiry: Date | undefined, options: WaitOptions = {}): Promise<Cluster> {
    const kube = this.ctx.kube;
    const watchAbort = new AbortController();
    const abortWatch = () => watchAbort.abort();
    options.signal?.addEventListener('abort', abortWatch, { once: true });
    const reported = new Map<string, string>();
    let persistent: PodProblem | undefined;
    const watching = kube.watchPods(CONNECTOR_NAMESPACE, 'app=eks-connector', (event) => {
      if (event.type === 'DELETED') return;
      const problem = podProblem(event.pod);
      if (!problem || reported.get(problem.pod) === problem.state) return;
      reported.set(problem.pod, problem.state);
      if (problem.persistent) persistent = problem;
      options.onProgress?.({ step: 'connect', message: `${problem.pod}: ${problem.state} — ${problem.message}`, podProblem: problem });
    }, watchAbort.signal).catch(() => undefined);
    try {
      options.onProgress?.({ step: 'connect', message: `Waiting for the connector to activate ${name}`, activationExpiry });
      const cluster = await awsStep(() => this.ctx.aws.waitForStatus(region, name, {
        until: ['ACTIVE'], failOn: ['FAILED'], intervalMs: options.pollIntervalMs ?? 5000, timeoutMs: options.waitTimeoutMs ?? 15 * 60_000, signal: options.signal,
        onPoll: (c) => options.onProgress?.({ step: 'connect', message: `${name} is ${c.status}`, activationExpiry }),
      }), `Waiting for ${name} to become ACTIVE`, 'eks:DescribeCluster');
      if (!cluster) throw new ConnectorError(`${name} was deregistered while waiting for it to become ACTIVE.`, 'aws');
      return cluster;
    } catch (error) {
      if (persistent && !isCancellation(error)) {
        throw new ConnectorError(`The connector did not activate: ${persistent.pod} is ${persistent.state} (${persistent.message}).`, 'cluster', [], undefined,
          `See \`${logsCommand(persistent, CONNECTOR_NAMESPACE, kube.contextName)}\`.`);
      }
      throw error;
    } finally {
      watchAbort.abort();
      options.signal?.removeEventListener('abort', abortWatch);
      await watching;
    }
  }

  /** Deregisters, removes the connector from the cluster, the agents' SSM instances, and a role created for it. */
  async deregister(target: ClusterTarget, options: DeregisterOptions = {}): Promise<OperationReport> {
    const { signal } = options;
    const { aws, roles } = this.ctx;
    const done: string[] = [];
    const remaining: string[] = [];
    const cluster = await awsStep(() => aws.describe(target.region, target.name, signal), `Looking up ${target.name}`, 'eks:DescribeCluster');
    if (cluster && !cluster.connectorConfig) {
      throw new ConnectorError(`${target.name} in ${target.region} is an EKS-managed cluster, not a connected one: deregistering applies only to clusters registered through the EKS Connector.`, 'input');
    }
    const activationId = cluster?.connectorConfig?.activationId;
    if (activationId) {
      try {
        const instances = await aws.managedInstances(target.region, activationId, signal);
        for (const instance of instances) {
          try {
            await aws.deregisterInstance(target.region, instance.InstanceId!, signal);
            done.push(`deregistered SSM managed instance ${instance.InstanceId}`);
          } catch (error) {
            remaining.push(`SSM managed instance ${instance.InstanceId}: ${describeAwsError(error, { activity: 'Deregistering it', region: target.region }).reason} (EKS removes it with the registration)`);
          }
        }
      } catch (error) {
        if (isCancellation(error)) throw error;
        options.onProgress?.(`Could not list the agents' SSM instances: ${describeAwsError(error, { activity: 'Listing them', region: target.region }).reason}`);
      }
    }
    if (cluster) {
      options.onProgress?.(`Deregistering ${target.name} from EKS in ${target.region}`);
      try {
        await aws.deregister(target.region, target.name, signal);
        done.push(`deregistered ${target.name} from EKS in ${target.region}`);
      } catch (error) {
        if (isCancellation(error)) throw error;
        const d = describeAwsError(error, { activity: `Deregistering ${target.name}`, region: target.region, action: 'eks:DeregisterCluster' });
        remaining.push(`the EKS registration ${target.name} in ${target.region}: ${d.reason} ${d.fix}`);
      }
    } else {
      done.push(`${target.name} was not registered in ${target.region}`);
    }
    if (options.kube !== false && this.ctx.hasKube) {
      const kube = this.ctx.kube;
      options.onProgress?.('Removing the connector from the cluster');
      try {
        const objects = (await listManaged(kube, MANAGED_KINDS, signal)).filter((o) => belongsTo(o, target));
        const result = await kube.delete(objects.map(toRef), { signal, propagation: 'Background' });
        done.push(...result.deleted.map((r) => `deleted ${describeRef(r)}`));
      } catch (error) {
        if (isCancellation(error)) throw error;
        remaining.push(`the connector objects in the cluster: ${describeKubeError(error, { activity: 'Deleting them' }).reason}`);
      }
    }
    const roleArn = cluster?.connectorConfig?.roleArn;
    if (roleArn) {
      try {
        if (await roles.deleteIfCreatedFor(roleArn, target, signal)) done.push(`deleted the agent role ${roleArn} created for this cluster`);
      } catch (error) {
        if (isCancellation(error)) throw error;
        remaining.push(`the agent role ${roleArn}: ${describeAwsError(error, { activity: 'Deleting it' }).reason}`);
      }
    }
    return { done, remaining };
  }
}

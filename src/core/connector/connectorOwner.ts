// Which registration a connector already running in a cluster belongs to: the StatefulSet's EKS_ACTIVATION_ID is
// compared with DescribeCluster's connectorConfig.activationId of the connected clusters in the given regions.
import type { Cluster } from '@aws-sdk/client-eks';
import type { V1StatefulSet } from '@kubernetes/client-node';
import type { KubeCluster } from '../kube/kubeCluster';
import { isCancellation } from '../util/abort';
import { CLUSTER_ANNOTATION, CONNECTOR_NAMESPACE } from './names';
import { STATEFUL_SET_REF, activationIdOf } from './connectorObjects';
import type { RegistrationApi } from './registrationApi';

export interface ConnectorOwner {
  /** The activation id the installed connector carries. */
  readonly activationId: string;
  /** The registration holding that activation, when one was found. */
  readonly registration?: { readonly region: string; readonly name: string; readonly cluster: Cluster };
  /** The regions looked in. */
  readonly searched: readonly string[];
}

/** The activation id of the eks-connector StatefulSet in the cluster (any installer), or undefined when there is none. */
export async function runningActivationId(kube: KubeCluster, signal?: AbortSignal): Promise<string | undefined> {
  const stateful = await kube.read<V1StatefulSet>(STATEFUL_SET_REF, signal);
  return activationIdOf(stateful?.spec?.template.spec);
}

/**
 * The registration whose activation the cluster's connector runs. Looked for first where our namespace annotation
 * says it was registered, then in each region (in order); a region that cannot be listed is skipped.
 */
export async function findConnectorOwner(
  aws: Pick<RegistrationApi, 'describe' | 'listNames'>, kube: KubeCluster, activationId: string, regions: readonly string[], signal?: AbortSignal,
): Promise<ConnectorOwner> {
  const namespace = await kube.readNamespace(CONNECTOR_NAMESPACE, signal).catch((error: unknown) => {
    if (isCancellation(error)) throw error;
    return undefined;
  });
  const annotated = namespace?.metadata?.annotations?.[CLUSTER_ANNOTATION];
  const searched: string[] = [];
  const matches = (cluster: Cluster | undefined) => cluster?.connectorConfig?.activationId === activationId;
  if (annotated?.includes('/')) {
    const [region, ...rest] = annotated.split('/');
    const name = rest.join('/');
    const cluster = await aws.describe(region, name, signal).catch(rethrowCancellation);
    if (cluster && matches(cluster)) return { activationId, registration: { region, name, cluster }, searched: [region] };
  }
  for (const region of [...new Set(regions)]) {
    searched.push(region);
    try {
      // Connected clusters are the names listed with include=all and not without it.
      const [all, eksOnly] = await Promise.all([aws.listNames(region, true, signal), aws.listNames(region, false, signal)]);
      const connected = all.filter((n) => !eksOnly.includes(n));
      const clusters = await Promise.all(connected.map((name) => aws.describe(region, name, signal).catch(rethrowCancellation)));
      const index = clusters.findIndex(matches);
      if (index >= 0) return { activationId, registration: { region, name: connected[index], cluster: clusters[index]! }, searched };
    } catch (error) {
      rethrowCancellation(error);
    }
  }
  return { activationId, searched };
}

function rethrowCancellation(error: unknown): Cluster | undefined {
  if (isCancellation(error)) throw error;
  return undefined;
}

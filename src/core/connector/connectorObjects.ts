// The connector's objects in a cluster: the field manager and labels that mark them ours, listing them, reading the
// activation id the installed connector runs with, and the small conversions between rendered and stored objects.
import type { KubernetesObject, V1PodSpec, V1StatefulSet } from '@kubernetes/client-node';
import type { KubeCluster, ManifestObject, ObjectRef } from '../kube/kubeCluster';
import { CONNECTOR_NAMESPACE, MANAGED_LABELS, CLUSTER_ANNOTATION } from './names';
import { ACTIVATION_SECRET_NAME, CONTAINER, STATEFUL_SET_NAME } from './manifest';

export const FIELD_MANAGER = 'eks-connector-vscode';
export const RBAC_KINDS = ['ClusterRoleBinding', 'ClusterRole', 'RoleBinding', 'Role'].map((kind) => ['rbac.authorization.k8s.io/v1', kind] as const);
/** Deletion order for deregistering: bindings before roles, the namespace (with what is left in it) last. */
export const MANAGED_KINDS = [
  ...RBAC_KINDS,
  ['apps/v1', 'StatefulSet'], ['v1', 'ConfigMap'], ['v1', 'Secret'], ['v1', 'ServiceAccount'], ['v1', 'Namespace'],
] as const;
const MANAGED_SELECTOR = Object.entries(MANAGED_LABELS).map(([k, v]) => `${k}=${v}`).join(',');
// Placeholders for rendering what will be created before RegisterCluster has answered (pre-flight, repair).
export const PLACEHOLDER_ACTIVATION_ID = '00000000-0000-4000-8000-000000000000';
export const PLACEHOLDER_ACTIVATION_CODE = 'placeholder-activation-code';
export const STATEFUL_SET_REF: ObjectRef = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: STATEFUL_SET_NAME, namespace: CONNECTOR_NAMESPACE } };
const ACTIVATION_SECRET_REF: ObjectRef = { apiVersion: 'v1', kind: 'Secret', metadata: { name: ACTIVATION_SECRET_NAME, namespace: CONNECTOR_NAMESPACE } };

/** Objects of these kinds that carry this extension's labels, each tagged with its apiVersion and kind. */
export async function listManaged(kube: KubeCluster, kinds: ReadonlyArray<readonly [string, string]>, signal?: AbortSignal): Promise<KubernetesObject[]> {
  const lists = await Promise.all(kinds.map(async ([apiVersion, kind]) =>
    (await kube.list(apiVersion, kind, { labelSelector: MANAGED_SELECTOR, signal })).map((o) => ({ ...o, apiVersion, kind }))));
  return lists.flat();
}

/**
 * The activation id a connector pod spec was installed with: the `EKS_ACTIVATION_ID` of its init container. Any
 * install carries it (this extension, eksctl, the console's manifest, the Helm chart), with or without our labels.
 */
export function activationIdOf(pod: V1PodSpec | undefined): string | undefined {
  const containers = [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])];
  // Our init container first; other installs may name it differently.
  const ordered = [...containers.filter((c) => c.name === CONTAINER.init), ...containers.filter((c) => c.name !== CONTAINER.init)];
  for (const container of ordered) {
    const value = container.env?.find((e) => e.name === 'EKS_ACTIVATION_ID')?.value;
    if (value) return value;
  }
  return undefined;
}

/** The activation id the connector in this cluster was installed with, if one is installed with its activation Secret. */
export async function installedActivationId(kube: KubeCluster, signal?: AbortSignal): Promise<string | undefined> {
  const stateful = await kube.read<V1StatefulSet>(STATEFUL_SET_REF, signal).catch(() => undefined);
  const secret = await kube.exists(ACTIVATION_SECRET_REF, signal).catch(() => false);
  if (!stateful || !secret) return undefined;
  const init = stateful.spec?.template.spec?.initContainers?.find((c) => c.name === CONTAINER.init);
  return init?.env?.find((e) => e.name === 'EKS_ACTIVATION_ID')?.value;
}

/** Rendered objects always carry apiVersion, kind and name; this makes that visible to the type checker. */
export function manifestObjects(objects: readonly KubernetesObject[]): ManifestObject[] {
  return objects.map((o) => {
    if (!o.apiVersion || !o.kind || !o.metadata?.name) throw new Error(`A rendered object lacks apiVersion, kind or name: ${JSON.stringify(o.metadata ?? {})}`);
    return o as ManifestObject;
  });
}

export function toRef(object: KubernetesObject): ObjectRef {
  return { apiVersion: object.apiVersion!, kind: object.kind!, metadata: { name: object.metadata!.name!, ...(object.metadata?.namespace ? { namespace: object.metadata.namespace } : {}) } };
}

/** Whether an object of ours belongs to this registration (an object without our annotation belongs to any). */
export function belongsTo(object: KubernetesObject, target: { region: string; name: string }): boolean {
  const owner = object.metadata?.annotations?.[CLUSTER_ANNOTATION];
  return !owner || owner === `${target.region}/${target.name}`;
}

// Who may look at the cluster through the EKS console, and what they may see (docs/connector-reference.md#impersonation, #console-access, #principal-names).
// The console sends the caller's canonical IAM ARN; the connector impersonates exactly that Kubernetes user, so two
// things must exist per principal: an entry in the impersonation rule of ClusterRole `eks-connector-service`, and
// RBAC bindings that let that user read. The impersonation rule always names its users: a rule without
// `resourceNames` would let the connector impersonate anyone, so an empty grant list is refused everywhere here.
import { createHash } from 'node:crypto';
import type {
  KubernetesObject, RbacV1Subject, V1ClusterRole, V1ClusterRoleBinding, V1PolicyRule, V1Role, V1RoleBinding,
} from '@kubernetes/client-node';
import { isCanonicalPrincipalArn, validatePrincipalArn } from './arn';
import {
  CONNECTOR_NAMESPACE, CONNECTOR_SERVICE_ACCOUNT, managedObjectMeta, type RegistrationTarget, type ValidationResult,
} from './names';

export type ConsoleAccessScope = { kind: 'full' } | { kind: 'namespaces'; namespaces: string[] };

export interface ConsoleAccessGrant {
  /** Canonical ARN (see canonicalPrincipalArn): the Kubernetes user name the console's requests arrive as. */
  principalArn: string;
  scope: ConsoleAccessScope;
}

/** Thrown when a grant or revoke cannot be rendered safely; the message is meant for the user. */
export class ConsoleAccessError extends Error {
  override readonly name = 'ConsoleAccessError';
}

export const IMPERSONATION_ROLE_NAME = 'eks-connector-service';
export const FULL_ACCESS_CLUSTER_ROLE_NAME = 'eks-connector-console-dashboard-full-access-clusterrole';
export const RESTRICTED_ACCESS_CLUSTER_ROLE_NAME = 'eks-connector-console-dashboard-restricted-access-clusterrole';
export const RESTRICTED_ACCESS_ROLE_NAME = 'eks-connector-console-dashboard-restricted-access-role';
const FULL_ACCESS_BINDING_PREFIX = 'eks-connector-console-dashboard-full-access';
const RESTRICTED_ACCESS_BINDING_PREFIX = 'eks-connector-console-dashboard-restricted-access';

const RBAC_API_VERSION = 'rbac.authorization.k8s.io/v1';
const RBAC_API_GROUP = 'rbac.authorization.k8s.io';
const READ = ['get', 'list'];

/** Full access, as the console's `eks-connector-console-dashboard-full-access-group.yaml` grants it. */
export const FULL_ACCESS_RULES: readonly V1PolicyRule[] = [
  { apiGroups: [''], resources: ['nodes', 'namespaces', 'pods', 'events'], verbs: READ },
  { apiGroups: ['apps'], resources: ['deployments', 'daemonsets', 'statefulsets', 'replicasets'], verbs: READ },
  { apiGroups: ['batch'], resources: ['jobs'], verbs: READ },
];

/** Restricted access, cluster part: the console lists nodes and namespaces before it shows any workload. */
export const RESTRICTED_CLUSTER_RULES: readonly V1PolicyRule[] = [
  { apiGroups: [''], resources: ['nodes', 'namespaces'], verbs: READ },
];

/**
 * Restricted access, per chosen namespace: the workloads of full access plus services. ConfigMaps and Secrets are
 * left out on purpose: they often hold credentials, and "restricted" should not mean "can read configuration".
 */
export const RESTRICTED_NAMESPACE_RULES: readonly V1PolicyRule[] = [
  { apiGroups: [''], resources: ['pods', 'events', 'services'], verbs: READ },
  { apiGroups: ['apps'], resources: ['deployments', 'daemonsets', 'statefulsets', 'replicasets'], verbs: READ },
  { apiGroups: ['batch'], resources: ['jobs'], verbs: READ },
];

export interface ConsoleAccess {
  /** The grants, checked and normalised, in the order given. */
  readonly grants: readonly ConsoleAccessGrant[];
  /** ClusterRole `eks-connector-service`: impersonate exactly the granted users. */
  readonly impersonationRole: V1ClusterRole;
  /** ClusterRoleBinding `eks-connector-service`: the connector's ServiceAccount → the impersonation role. */
  readonly impersonationBinding: V1ClusterRoleBinding;
  /** Read roles referenced by the bindings (only those some grant uses). */
  readonly roles: readonly (V1ClusterRole | V1Role)[];
  /** One binding per principal (full), or a cluster binding plus one RoleBinding per namespace (restricted). */
  readonly bindings: readonly (V1ClusterRoleBinding | V1RoleBinding)[];
}

// ---------------------------------------------------------------------------------------------------------------

const NAMESPACE_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A Kubernetes namespace name (RFC 1123 label): 1–63 lowercase letters, digits and "-", alphanumeric at both ends. */
export function validateNamespaceName(name: string): ValidationResult {
  const value = name.trim();
  if (value === '') return { ok: false, message: 'Enter a namespace.' };
  if (value.length > 63) return { ok: false, message: `Namespace "${value}" is ${value.length} characters long; the limit is 63.` };
  if (!NAMESPACE_PATTERN.test(value)) {
    return {
      ok: false,
      message: `"${value}" is not a namespace name: use lowercase letters, digits and "-", starting and ending with a letter or digit.`,
      ...(value !== value.toLowerCase() ? { hint: `Did you mean "${value.toLowerCase()}"?` } : {}),
    };
  }
  return { ok: true, value };
}

/** Deterministic, valid object-name suffix for an ARN (ARNs contain ":" and "/", which names cannot). */
export function principalNameSuffix(principalArn: string): string {
  return createHash('sha256').update(principalArn, 'utf8').digest('hex').slice(0, 16);
}

export function fullAccessBindingName(principalArn: string): string {
  return `${FULL_ACCESS_BINDING_PREFIX}-${principalNameSuffix(principalArn)}`;
}

export function restrictedAccessBindingName(principalArn: string): string {
  return `${RESTRICTED_ACCESS_BINDING_PREFIX}-${principalNameSuffix(principalArn)}`;
}

function normaliseGrant(grant: ConsoleAccessGrant): ConsoleAccessGrant {
  if (!isCanonicalPrincipalArn(grant.principalArn)) {
    const checked = validatePrincipalArn(grant.principalArn);
    throw new ConsoleAccessError(
      checked.ok
        ? `"${grant.principalArn}" is not in canonical form; grant access to ${checked.value}, the name the EKS console uses.`
        : `Cannot grant console access to "${grant.principalArn}": ${checked.message}`,
    );
  }
  if (grant.scope.kind === 'full') return { principalArn: grant.principalArn, scope: { kind: 'full' } };
  const namespaces: string[] = [];
  for (const namespace of grant.scope.namespaces) {
    const checked = validateNamespaceName(namespace);
    if (!checked.ok) throw new ConsoleAccessError(checked.message);
    if (!namespaces.includes(checked.value)) namespaces.push(checked.value);
  }
  if (namespaces.length === 0) {
    throw new ConsoleAccessError(`Choose at least one namespace for ${grant.principalArn}, or grant full (read-only) access.`);
  }
  // Sorted so the rendered objects do not depend on the order the namespaces were picked in.
  return { principalArn: grant.principalArn, scope: { kind: 'namespaces', namespaces: namespaces.sort() } };
}

const userSubject = (principalArn: string): RbacV1Subject => ({ kind: 'User', apiGroup: RBAC_API_GROUP, name: principalArn });
const copyRules = (rules: readonly V1PolicyRule[]): V1PolicyRule[] => rules.map((rule) => structuredClone(rule));

/**
 * The impersonation role and binding plus the read roles and bindings for the given grants.
 * Throws ConsoleAccessError for an empty list, a duplicate principal, a non-canonical ARN or a bad namespace.
 */
export function renderConsoleAccess(grants: readonly ConsoleAccessGrant[], target: RegistrationTarget): ConsoleAccess {
  if (grants.length === 0) {
    throw new ConsoleAccessError(
      'Grant console access to at least one IAM principal: the connector may impersonate only listed users, and an empty list would let it impersonate anyone.',
    );
  }
  const normalised = grants.map(normaliseGrant);
  const principals = normalised.map((g) => g.principalArn);
  const duplicate = principals.find((arn, index) => principals.indexOf(arn) !== index);
  if (duplicate !== undefined) throw new ConsoleAccessError(`${duplicate} is listed twice; give each principal one grant.`);

  const impersonationRole: V1ClusterRole = {
    apiVersion: RBAC_API_VERSION,
    kind: 'ClusterRole',
    metadata: managedObjectMeta(IMPERSONATION_ROLE_NAME, target),
    rules: [{ apiGroups: [''], resources: ['users'], verbs: ['impersonate'], resourceNames: [...principals] }],
  };
  const impersonationBinding: V1ClusterRoleBinding = {
    apiVersion: RBAC_API_VERSION,
    kind: 'ClusterRoleBinding',
    metadata: managedObjectMeta(IMPERSONATION_ROLE_NAME, target),
    subjects: [{ kind: 'ServiceAccount', name: CONNECTOR_SERVICE_ACCOUNT, namespace: CONNECTOR_NAMESPACE }],
    roleRef: { apiGroup: RBAC_API_GROUP, kind: 'ClusterRole', name: IMPERSONATION_ROLE_NAME },
  };

  const roles: (V1ClusterRole | V1Role)[] = [];
  const bindings: (V1ClusterRoleBinding | V1RoleBinding)[] = [];
  const restrictedNamespaces = new Set<string>();
  let anyFull = false;
  for (const grant of normalised) {
    if (grant.scope.kind === 'full') {
      anyFull = true;
      bindings.push({
        apiVersion: RBAC_API_VERSION,
        kind: 'ClusterRoleBinding',
        metadata: managedObjectMeta(fullAccessBindingName(grant.principalArn), target),
        subjects: [userSubject(grant.principalArn)],
        roleRef: { apiGroup: RBAC_API_GROUP, kind: 'ClusterRole', name: FULL_ACCESS_CLUSTER_ROLE_NAME },
      });
      continue;
    }
    const bindingName = restrictedAccessBindingName(grant.principalArn);
    bindings.push({
      apiVersion: RBAC_API_VERSION,
      kind: 'ClusterRoleBinding',
      metadata: managedObjectMeta(bindingName, target),
      subjects: [userSubject(grant.principalArn)],
      roleRef: { apiGroup: RBAC_API_GROUP, kind: 'ClusterRole', name: RESTRICTED_ACCESS_CLUSTER_ROLE_NAME },
    });
    for (const namespace of grant.scope.namespaces) {
      restrictedNamespaces.add(namespace);
      bindings.push({
        apiVersion: RBAC_API_VERSION,
        kind: 'RoleBinding',
        metadata: managedObjectMeta(bindingName, target, namespace),
        subjects: [userSubject(grant.principalArn)],
        roleRef: { apiGroup: RBAC_API_GROUP, kind: 'Role', name: RESTRICTED_ACCESS_ROLE_NAME },
      });
    }
  }
  if (anyFull) {
    roles.push({ apiVersion: RBAC_API_VERSION, kind: 'ClusterRole', metadata: managedObjectMeta(FULL_ACCESS_CLUSTER_ROLE_NAME, target), rules: copyRules(FULL_ACCESS_RULES) });
  }
  if (restrictedNamespaces.size > 0) {
    roles.push({ apiVersion: RBAC_API_VERSION, kind: 'ClusterRole', metadata: managedObjectMeta(RESTRICTED_ACCESS_CLUSTER_ROLE_NAME, target), rules: copyRules(RESTRICTED_CLUSTER_RULES) });
    // One shared Role per namespace; sorted so re-rendering gives the same output whatever the grant order.
    for (const namespace of [...restrictedNamespaces].sort()) {
      roles.push({
        apiVersion: RBAC_API_VERSION,
        kind: 'Role',
        metadata: managedObjectMeta(RESTRICTED_ACCESS_ROLE_NAME, target, namespace),
        rules: copyRules(RESTRICTED_NAMESPACE_RULES),
      });
    }
  }
  return { grants: normalised, impersonationRole, impersonationBinding, roles, bindings };
}

/** Every console-access object: impersonation role, read roles, impersonation binding, read bindings. */
export function consoleAccessObjects(access: ConsoleAccess): (V1ClusterRole | V1Role | V1ClusterRoleBinding | V1RoleBinding)[] {
  return [access.impersonationRole, ...access.roles, access.impersonationBinding, ...access.bindings];
}

// ---------------------------------------------------------------------------------------------------------------
// Reading grants back from objects (e.g. those found in a live cluster)

export interface GrantsFound {
  readonly grants: ConsoleAccessGrant[];
  /** Principals in the impersonation rule without any read binding this extension recognises. */
  readonly impersonationOnly: string[];
}

type RbacLike = KubernetesObject & { rules?: V1PolicyRule[]; subjects?: RbacV1Subject[]; roleRef?: { kind?: string; name?: string } };

/**
 * Rebuilds grants from RBAC objects, so grant/revoke can start from what a cluster holds. Principals come from the
 * impersonation rule; their scope from the read bindings.
 */
export function grantsFromObjects(objects: readonly KubernetesObject[]): GrantsFound {
  const rbac = objects as readonly RbacLike[];
  const impersonation = rbac.find((o) => o.kind === 'ClusterRole' && o.metadata?.name === IMPERSONATION_ROLE_NAME);
  const principals = (impersonation?.rules ?? []).flatMap((rule) => rule.resourceNames ?? []);
  const boundTo = (o: RbacLike, arn: string): boolean => (o.subjects ?? []).some((s) => s.kind === 'User' && s.name === arn);
  const grants: ConsoleAccessGrant[] = [];
  const impersonationOnly: string[] = [];
  for (const arn of principals) {
    const full = rbac.some((o) => o.kind === 'ClusterRoleBinding' && o.roleRef?.name === FULL_ACCESS_CLUSTER_ROLE_NAME && boundTo(o, arn));
    const namespaces = rbac
      .filter((o) => o.kind === 'RoleBinding' && o.roleRef?.kind === 'Role' && o.roleRef.name === RESTRICTED_ACCESS_ROLE_NAME && boundTo(o, arn))
      .map((o) => o.metadata?.namespace)
      .filter((ns): ns is string => typeof ns === 'string');
    if (full) grants.push({ principalArn: arn, scope: { kind: 'full' } });
    else if (namespaces.length > 0) grants.push({ principalArn: arn, scope: { kind: 'namespaces', namespaces: [...new Set(namespaces)].sort() } });
    else impersonationOnly.push(arn);
  }
  return { grants, impersonationOnly };
}

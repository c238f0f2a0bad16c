// What a deregistration leaves running in the cluster when no kube context reaches it: everything the connector
// install made there, named so the user can delete it later (kubectl delete namespace/clusterrole/clusterrolebinding).
import { CONNECTOR_NAMESPACE } from './names';
import { CLUSTER_META_ACCESS_ROLE_NAME, SECRET_ACCESS_ROLE_NAME, STATEFUL_SET_NAME, ACTIVATION_SECRET_NAME, AGENT_CONFIG_MAP_NAME } from './manifest';
import { FULL_ACCESS_CLUSTER_ROLE_NAME, IMPERSONATION_ROLE_NAME, RESTRICTED_ACCESS_CLUSTER_ROLE_NAME } from './consoleAccess';

/** One line per thing left, each naming the objects. */
export function leftInClusterWithoutContext(): string[] {
  return [
    `the namespace ${CONNECTOR_NAMESPACE} with the running connector (StatefulSet ${STATEFUL_SET_NAME}, Secret ${ACTIVATION_SECRET_NAME}, ConfigMap ${AGENT_CONFIG_MAP_NAME}, Role and RoleBinding ${SECRET_ACCESS_ROLE_NAME})`,
    `the ClusterRole and ClusterRoleBinding ${IMPERSONATION_ROLE_NAME}, which let the connector impersonate the IAM principals granted console access`,
    `the ClusterRole and ClusterRoleBinding ${CLUSTER_META_ACCESS_ROLE_NAME}`,
    `the ClusterRoles ${FULL_ACCESS_CLUSTER_ROLE_NAME} and ${RESTRICTED_ACCESS_CLUSTER_ROLE_NAME} with their ClusterRoleBindings eks-connector-console-dashboard-*`,
  ];
}

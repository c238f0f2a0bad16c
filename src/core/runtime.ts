// Entry of the lazily loaded core bundle (dist/core.js): everything that pulls in the AWS SDK or the Kubernetes
// client. The extension reaches it only through src/shared/core.ts.
export { AwsSession, type CallerIdentity, type AwsSessionOptions } from './aws/session';
export { ClusterLoader, CLUSTER_PAGE_SIZE, type ClusterPage, type DescribeResult } from './clusters/clusterLoader';
export { listProfiles, profileRegion, lintAwsConfigFiles, describeIniProblem, awsConfigPaths, type ProfileInfo, type IniProblem } from './aws/awsConfig';
export { ConnectorService, ConnectorError, formatGrant, type ConnectPlan, type ConnectProgress, type ConnectorCheck, type CheckReport } from './connector/connectorService';
export { AgentRoleService, DEFAULT_AGENT_ROLE_NAME } from './connector/agentRole';
export { ClusterContextResolver, describeUnresolved, type ContextMemory, type ContextQuestion } from './connector/clusterContextResolver';
export { KubeCluster } from './kube/kubeCluster';
export { loadKubeconfig, kubeConfigFor, type LoadedKubeconfig } from './kube/kubeconfig';
export { detectProvider } from './kube/providerDetection';

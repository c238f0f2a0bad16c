// Entry of the lazily loaded core bundle (dist/core.js): everything that pulls in the AWS SDK or the Kubernetes
// client. The extension reaches it only through src/shared/core.ts.
export { AwsSession, type CallerIdentity, type AwsSessionOptions } from './aws/session';
export { ClusterLoader, CLUSTER_PAGE_SIZE, type ClusterPage, type DescribeResult } from './explorer/clusterLoader';
export { listProfiles, profileRegion, lintAwsConfigFiles, awsConfigPaths, type ProfileInfo, type IniProblem } from './aws/awsConfig';

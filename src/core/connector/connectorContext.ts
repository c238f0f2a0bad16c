// What every connector operation works with: the AWS session (and the EKS and IAM calls made through it), the
// cluster of a kube context when one reaches it, and the redactor that learns the activation code.
import type { AwsSession } from '../aws/session';
import type { KubeCluster } from '../kube/kubeCluster';
import type { SecretRedactor } from '../util/redact';
import { AgentRoleService } from './agentRole';
import { ConnectorError } from './connectorError';
import { RegistrationApi } from './registrationApi';

export interface ConnectorServiceDeps {
  readonly session: Pick<AwsSession, 'eks' | 'ssm' | 'iam' | 'callerIdentity'>;
  /** The cluster to act on; absent when no kube context reaches it (only the AWS side can then be handled). */
  readonly kube?: KubeCluster;
  readonly redactor?: SecretRedactor;
}

/** A registration: its region and its name in EKS. */
export interface ClusterTarget {
  readonly region: string;
  readonly name: string;
}

export interface OperationReport {
  readonly done: string[];
  readonly remaining: string[];
}

export class ConnectorContext {
  readonly aws: RegistrationApi;
  readonly roles: AgentRoleService;

  constructor(readonly deps: ConnectorServiceDeps) {
    this.aws = new RegistrationApi(deps.session);
    this.roles = new AgentRoleService(deps.session);
  }

  get hasKube(): boolean {
    return this.deps.kube !== undefined;
  }

  get kube(): KubeCluster {
    if (!this.deps.kube) throw new ConnectorError('No kube context reaches this cluster.', 'input', [], undefined, 'Choose the kube context of the cluster.');
    return this.deps.kube;
  }
}

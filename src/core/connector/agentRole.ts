// The connector agent's IAM role: the role RegisterCluster names, which the SSM agent in the cluster assumes.
// Lists roles that can serve (they trust ssm.amazonaws.com), or creates one with the documented trust and inline
// policy. A role this extension created carries a tag naming the cluster, so deregistering can remove it — and only
// it — afterwards.
import {
  CreateRoleCommand, DeleteRoleCommand, DeleteRolePolicyCommand, GetRoleCommand, ListRolePoliciesCommand,
  ListRolesCommand, PutRolePolicyCommand, type Role,
} from '@aws-sdk/client-iam';
import type { AwsSession } from '../aws/session';
import { callWithRetry } from '../aws/retry';
import { partitionOf } from '../aws/regions';

export const DEFAULT_AGENT_ROLE_NAME = 'AmazonEKSConnectorAgentRole';
export const AGENT_POLICY_NAME = 'AmazonEKSConnectorAgentPolicy';
/** Tag on roles this extension created: value `<region>/<cluster name>`. */
export const CREATED_FOR_TAG = 'eks-connector-vscode/created-for';

export function agentTrustPolicy(): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [{ Sid: 'SSMAccess', Effect: 'Allow', Principal: { Service: 'ssm.amazonaws.com' }, Action: 'sts:AssumeRole' }],
  };
}

/** The agent's permissions (EKS user guide): the SSM control and data channels the agent opens. */
export function agentPolicy(region: string): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'SsmControlChannel', Effect: 'Allow', Action: ['ssmmessages:CreateControlChannel'], Resource: `arn:${partitionOf(region)}:eks:*:*:cluster/*` },
      { Sid: 'ssmDataplaneOperations', Effect: 'Allow', Action: ['ssmmessages:CreateDataChannel', 'ssmmessages:OpenDataChannel', 'ssmmessages:OpenControlChannel'], Resource: '*' },
    ],
  };
}

const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** Whether a trust policy lets ssm.amazonaws.com assume the role (the only principal the agent role needs). */
export function trustsSsm(document: string | undefined): boolean {
  if (!document) return false;
  let policy: { Statement?: unknown };
  try {
    // ListRoles/GetRole return the document URL-encoded.
    policy = JSON.parse(decodeURIComponent(document)) as { Statement?: unknown };
  } catch {
    return false;
  }
  type Statement = { Effect?: string; Action?: string | string[]; Principal?: { Service?: string | string[] } | string };
  return asArray(policy.Statement as Statement | Statement[]).some((s) => {
    const actions = asArray(s.Action);
    const services = typeof s.Principal === 'object' ? asArray(s.Principal?.Service) : [];
    return s.Effect === 'Allow' && actions.some((a) => a === 'sts:AssumeRole' || a === 'sts:*' || a === '*') && services.includes('ssm.amazonaws.com');
  });
}

export interface AgentRoleChoice {
  readonly arn: string;
  readonly name: string;
  readonly path: string;
  readonly createdForCluster?: string;
}

type IamSource = Pick<AwsSession, 'iam'>;

export class AgentRoleService {
  constructor(private readonly session: IamSource) {}

  /** Roles that trust ssm.amazonaws.com, the ones RegisterCluster can use as the connector role. */
  async listCandidates(region: string, signal?: AbortSignal): Promise<AgentRoleChoice[]> {
    const iam = await this.session.iam(region);
    const candidates: AgentRoleChoice[] = [];
    let marker: string | undefined;
    do {
      const page = await callWithRetry(() => iam.send(new ListRolesCommand({ Marker: marker, MaxItems: 1000 }), { abortSignal: signal }), { signal });
      for (const role of page.Roles ?? []) if (trustsSsm(role.AssumeRolePolicyDocument)) candidates.push(choiceOf(role));
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
    return candidates.sort((a, b) => (a.name === DEFAULT_AGENT_ROLE_NAME ? -1 : b.name === DEFAULT_AGENT_ROLE_NAME ? 1 : a.name.localeCompare(b.name)));
  }

  async get(roleName: string, region: string, signal?: AbortSignal): Promise<AgentRoleChoice & { trustsSsm: boolean }> {
    const iam = await this.session.iam(region);
    const out = await callWithRetry(() => iam.send(new GetRoleCommand({ RoleName: roleName }), { abortSignal: signal }), { signal });
    return { ...choiceOf(out.Role!), trustsSsm: trustsSsm(out.Role?.AssumeRolePolicyDocument) };
  }

  /**
   * Creates the role with the trust and inline policy the agent needs, tagged with the cluster it is for. If the
   * policy cannot be attached, the role is deleted again, so a failure leaves nothing behind.
   */
  async create(roleName: string, cluster: { region: string; name: string }, signal?: AbortSignal): Promise<AgentRoleChoice> {
    const iam = await this.session.iam(cluster.region);
    const created = await callWithRetry(() => iam.send(new CreateRoleCommand({
      RoleName: roleName,
      AssumeRolePolicyDocument: JSON.stringify(agentTrustPolicy()),
      Description: `EKS Connector agent role for ${cluster.name} in ${cluster.region}, created by the EKS Connector extension for VS Code`,
      Tags: [{ Key: CREATED_FOR_TAG, Value: `${cluster.region}/${cluster.name}` }],
    }), { abortSignal: signal }), { signal });
    try {
      await callWithRetry(() => iam.send(new PutRolePolicyCommand({
        RoleName: roleName, PolicyName: AGENT_POLICY_NAME, PolicyDocument: JSON.stringify(agentPolicy(cluster.region)),
      }), { abortSignal: signal }), { signal });
    } catch (error) {
      await callWithRetry(() => iam.send(new DeleteRoleCommand({ RoleName: roleName }))).catch(() => undefined);
      throw error;
    }
    return choiceOf(created.Role!);
  }

  /** Deletes a role only if this extension created it for that cluster (tag match). Returns whether it did. */
  async deleteIfCreatedFor(roleArn: string, cluster: { region: string; name: string }, signal?: AbortSignal): Promise<boolean> {
    const roleName = roleArn.split('/').pop() ?? '';
    const iam = await this.session.iam(cluster.region);
    const role = await callWithRetry(() => iam.send(new GetRoleCommand({ RoleName: roleName }), { abortSignal: signal }), { signal }).catch(() => undefined);
    const tag = role?.Role?.Tags?.find((t) => t.Key === CREATED_FOR_TAG)?.Value;
    if (tag !== `${cluster.region}/${cluster.name}`) return false;
    const policies = await callWithRetry(() => iam.send(new ListRolePoliciesCommand({ RoleName: roleName }), { abortSignal: signal }), { signal });
    for (const policyName of policies.PolicyNames ?? []) {
      await callWithRetry(() => iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }), { abortSignal: signal }), { signal });
    }
    await callWithRetry(() => iam.send(new DeleteRoleCommand({ RoleName: roleName }), { abortSignal: signal }), { signal });
    return true;
  }
}

function choiceOf(role: Role): AgentRoleChoice {
  return {
    arn: role.Arn ?? '',
    name: role.RoleName ?? '',
    path: role.Path ?? '/',
    createdForCluster: role.Tags?.find((t) => t.Key === CREATED_FOR_TAG)?.Value,
  };
}

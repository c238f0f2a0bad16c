// Registering in AWS and handing the installation to a cluster administrator (the EKS console's model for a user
// without admin rights in the cluster): the agent role when asked, RegisterCluster, and the manifest split in two —
// the non-secret objects, and the activation Secret on its own (it holds the single-use activation code).
import { randomUUID } from 'node:crypto';
import type { Cluster } from '@aws-sdk/client-eks';
import { applyOrder, manifestToYaml, nonSecretObjects } from './manifest';
import { ConnectorError } from './connectorError';
import type { ConnectorContext } from './connectorContext';
import { grantsFor, normalizePlan, renderPlan, type ConnectPlan } from './connectorChecks';
import { canonicalPrincipalArn } from './arn';

export interface Handoff {
  readonly cluster: Cluster;
  /** The objects without secret material, in apply order. */
  readonly manifestYaml: string;
  /** The activation Secret alone: contains the activation code. Never log or store it. */
  readonly secretYaml: string;
  readonly activationExpiry?: Date;
}

export async function registerForHandoff(ctx: ConnectorContext, input: ConnectPlan, signal?: AbortSignal): Promise<Handoff> {
  const plan = normalizePlan(input);
  const callerArn = (await ctx.deps.session.callerIdentity(plan.region, signal)).arn;
  const grants = grantsFor(plan, canonicalPrincipalArn(callerArn));
  const role = plan.role.kind === 'create' ? await ctx.roles.create(plan.role.name, { region: plan.region, name: plan.name }, signal) : undefined;
  let cluster: Cluster;
  try {
    cluster = await ctx.aws.register({
      region: plan.region, name: plan.name, provider: plan.provider.toUpperCase(), roleArn: role?.arn ?? (plan.role.kind === 'existing' ? plan.role.arn : ''),
      tags: plan.tags, clientRequestToken: randomUUID(),
    }, { signal });
  } catch (error) {
    // Nothing is registered: the role created for it goes too.
    if (role) await ctx.roles.deleteIfCreatedFor(role.arn, { region: plan.region, name: plan.name }).catch(() => undefined);
    throw error;
  }
  const config = cluster.connectorConfig;
  if (!config?.activationId || !config.activationCode) throw new ConnectorError('RegisterCluster returned no activation.', 'aws');
  ctx.deps.redactor?.add(config.activationCode);
  const manifest = renderPlan(plan, grants, config.activationId, config.activationCode);
  const { activationCode: _code, ...withoutCode } = config;
  return {
    cluster: { ...cluster, connectorConfig: withoutCode },
    manifestYaml: manifestToYaml(nonSecretObjects(manifest)),
    secretYaml: manifestToYaml(applyOrder(manifest).filter((o) => o === manifest.activationSecret)),
    activationExpiry: config.activationExpiry,
  };
}

// Benchmark: register-and-apply wall time (pre-flight, RegisterCluster and the connector applied; the wait for
// ACTIVE excluded) against the sum of its unavoidable round trips, each measured in the same run: GetCallerIdentity
// (whose access to grant), DescribeCluster (is the name free), RegisterCluster, and one server-side apply per object.
// Each round trip is timed at its best: over an open connection (as the AWS SDK's are), with the API discovery
// client-node needs already done, so neither a TLS handshake nor a discovery request counts as unavoidable.
// Real kube-apiserver (sample seed) and the AWS emulator in its own process. Target ≤ 1.5×.
// Usage: npx tsx bench/register.ts [--runs 3]
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { KubernetesObjectApi, PatchStrategy, ServerConfiguration, createConfiguration, type KubeConfig } from '@kubernetes/client-node';
import { startKubeCluster } from '../scripts/kube/cluster';
import { spawnEmulator } from '../test/support/emulatorProcess';
import { AwsSession } from '../src/core/aws/session';
import { KubeCluster, type ManifestObject } from '../src/core/kube/kubeCluster';
import { ConnectorService, type ConnectPlan } from '../src/core/connector/connectorService';
import { RegistrationApi } from '../src/core/connector/registrationApi';
import { applyOrder, renderConnectorManifest } from '../src/core/connector/manifest';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 3;
const ACCOUNT = '123456789012';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/AmazonEKSConnectorAgentRole`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = async (call: () => Promise<unknown>) => { const t = performance.now(); await call(); return performance.now() - t; };

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'eksc-bench-register-'));
  const kube = await startKubeCluster({ dir: path.join(dir, 'kube'), seed: 'sample', log: () => undefined });
  const emulator = await spawnEmulator({ seed: { accountId: ACCOUNT, iam: { roles: [{ name: 'AmazonEKSConnectorAgentRole', trustService: 'ssm.amazonaws.com' }] }, timings: { deregisterSeconds: 1 } } });
  Object.assign(process.env, { AWS_ENDPOINT_URL: emulator.url, AWS_ACCESS_KEY_ID: 'AKIABENCHREGISTER001', AWS_SECRET_ACCESS_KEY: 'x', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });
  const session = new AwsSession();
  const cluster = new KubeCluster(kube.kubeConfig('sandbox-admin'));
  const service = new ConnectorService({ session, kube: cluster });
  const aws = new RegistrationApi(session);
  try {
    // Warm clients, connections and code, as a second use in the editor would have them.
    await service.connect(connectPlan('warm-up'), { wait: false });
    await service.deregister({ region: 'us-west-2', name: 'warm-up' });
    await waitNamespaceGone(cluster);
    // The bound's client: its connection opened and every kind discovered by dry runs (those in the missing
    // namespace are refused, after discovery).
    const raw = keptAliveObjectApi(kube.kubeConfig('sandbox-admin'));
    const warmUp = renderConnectorManifest({ clusterName: 'warm-up', region: 'us-west-2', activationId: randomUUID(), activationCode: 'warm-up-activation-code', consoleAccess: [{ principalArn: `arn:aws:iam::${ACCOUNT}:user/bench`, scope: { kind: 'full' } }] });
    for (const object of applyOrder(warmUp)) await raw.patch(object, undefined, 'All', 'bench', true, PatchStrategy.ServerSideApply).catch(() => undefined);
    const walls: number[] = [];
    const bounds: number[] = [];
    for (let i = 0; i < runs; i++) {
      const name = `bench-${i}`;
      const wall = await time(() => service.connect(connectPlan(name), { wait: false }));
      walls.push(wall);
      await service.deregister({ region: 'us-west-2', name });
      await waitNamespaceGone(cluster);

      // The unavoidable round trips, each timed on its own right after.
      const sts = await session.sts('us-west-2');
      const identity = await time(() => sts.send(new GetCallerIdentityCommand({})));
      const describe = await time(() => aws.describe('us-west-2', `${name}-b`));
      let registered: Awaited<ReturnType<RegistrationApi['register']>> | undefined;
      const register = await time(async () => { registered = await aws.register({ region: 'us-west-2', name: `${name}-b`, provider: 'OTHER', roleArn: ROLE, clientRequestToken: randomUUID() }); });
      const manifest = renderConnectorManifest({ clusterName: `${name}-b`, region: 'us-west-2', activationId: registered!.connectorConfig!.activationId!, activationCode: registered!.connectorConfig!.activationCode!, consoleAccess: [{ principalArn: `arn:aws:iam::${ACCOUNT}:user/bench`, scope: { kind: 'full' } }] });
      const objects = applyOrder(manifest) as ManifestObject[];
      let applies = 0;
      for (const object of objects) applies += await time(() => raw.patch(object, undefined, undefined, 'bench', true, PatchStrategy.ServerSideApply));
      bounds.push(identity + describe + register + applies);
      await cluster.delete([...objects].reverse().map((o) => ({ apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.metadata.name, namespace: o.metadata.namespace } })));
      await aws.deregister('us-west-2', `${name}-b`);
      await waitNamespaceGone(cluster);
      console.log(`  run ${i + 1}: register-and-apply ${wall.toFixed(0)} ms; unavoidable round trips ${bounds[i].toFixed(0)} ms (GetCallerIdentity ${identity.toFixed(0)}, DescribeCluster ${describe.toFixed(0)}, RegisterCluster ${register.toFixed(0)}, ${objects.length} applies ${applies.toFixed(0)})`);
    }
    const ratio = median(walls) / median(bounds);
    console.log(`register-and-apply: median ${median(walls).toFixed(0)} ms against ${median(bounds).toFixed(0)} ms of unavoidable round trips = ${ratio.toFixed(2)}× (target ≤ 1.5×, ${runs} runs)`);
  } finally {
    session.dispose();
    await emulator.stop();
    await kube.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function connectPlan(name: string): ConnectPlan {
  return { region: 'us-west-2', name, provider: 'OTHER', role: { kind: 'existing', arn: ROLE }, grants: [], nodeSelector: true };
}

/** client-node's object client on one kept-alive connection (it opens a new one per request by default). */
function keptAliveObjectApi(kc: KubeConfig): KubernetesObjectApi {
  let agent: https.Agent | undefined;
  return new KubernetesObjectApi(createConfiguration({
    baseServer: new ServerConfiguration<Record<string, string>>(kc.getCurrentCluster()!.server, {}),
    authMethods: {
      default: {
        getName: () => 'kept-alive',
        applySecurityAuthentication: async (context) => {
          await kc.applySecurityAuthentication(context);
          agent ??= new https.Agent({ ...(context.getAgent() as https.Agent).options, keepAlive: true });
          context.setAgent(agent);
        },
      },
    },
  }));
}

async function waitNamespaceGone(cluster: KubeCluster): Promise<void> {
  for (let i = 0; i < 300 && (await cluster.readNamespace('eks-connector')); i++) await new Promise((r) => setTimeout(r, 200));
}

main().catch((error: unknown) => {
  console.error('register benchmark failed:', error);
  process.exit(1);
});

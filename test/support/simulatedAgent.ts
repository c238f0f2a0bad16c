// A stand-in for the EKS Connector agent, for the sandbox and the tests (never shipped in the .vsix). When a
// connector pod runs on a simulated node, it does what the real `connector-init` does: reads the activation Secret
// (Kubernetes decodes `data.code`), takes the activation id from the pod's EKS_ACTIVATION_ID, and calls SSM
// RegisterManagedInstance — the emulator's unsigned endpoint — which accepts only the right pair and then reports
// the cluster ACTIVE. It then tells the emulator the cluster's Kubernetes version, which EKS reads through the
// connected agent. Like connector-init it keeps its state in `eks-connector-state-<ordinal>` and does not register
// again for the same activation. A refused registration shows as an init-container error, as it would.
import { CoreV1Api, KubeConfig, VersionApi, type V1Pod } from '@kubernetes/client-node';
import { EmulatorControl } from '../../emulator/src/control-client';

import { CONNECTOR_NAMESPACE } from '../../src/core/connector/names';
import { ACTIVATION_SECRET_NAME as ACTIVATION_SECRET } from '../../src/core/connector/manifest';
/** The harness's pod-state annotation (scripts/kube): the agent uses it to show a failed connector-init. */
const SIMULATE_ANNOTATION = 'kube-cluster.test/simulate';

export interface AgentEvent {
  readonly pod: string;
  readonly outcome: 'registered' | 'reused' | 'refused';
  readonly detail: string;
}

export class SimulatedConnectorAgent {
  private readonly core: CoreV1Api;
  private readonly version: VersionApi;
  private readonly control: EmulatorControl;
  private timer?: NodeJS.Timeout;
  private busy = false;
  private readonly handled = new Set<string>();
  readonly events: AgentEvent[] = [];

  constructor(kubeConfig: KubeConfig, emulatorUrl: string, private readonly log: (line: string) => void = () => undefined) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.version = kubeConfig.makeApiClient(VersionApi);
    this.control = new EmulatorControl(emulatorUrl);
  }

  start(intervalMs = 500): void {
    this.timer ??= setInterval(() => void this.tick(), intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One pass: every running connector pod not yet handled (by uid) initialises. */
  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const pods = await this.core.listNamespacedPod({ namespace: CONNECTOR_NAMESPACE, labelSelector: 'app=eks-connector' }).catch(() => undefined);
      for (const pod of pods?.items ?? []) {
        const uid = pod.metadata?.uid;
        if (!uid || this.handled.has(uid) || pod.status?.phase !== 'Running' || pod.metadata?.deletionTimestamp) continue;
        this.handled.add(uid);
        await this.initialise(pod);
      }
    } finally {
      this.busy = false;
    }
  }

  private async initialise(pod: V1Pod): Promise<void> {
    const name = pod.metadata!.name!;
    const init = pod.spec?.initContainers?.find((c) => c.name === 'connector-init');
    const activationId = init?.env?.find((e) => e.name === 'EKS_ACTIVATION_ID')?.value;
    const ordinal = /-(\d+)$/.exec(name)?.[1] ?? '0';
    const stateName = `eks-connector-state-${ordinal}`;
    try {
      if (!activationId) throw new Error('connector-init has no EKS_ACTIVATION_ID');
      const secret = await this.core.readNamespacedSecret({ namespace: CONNECTOR_NAMESPACE, name: ACTIVATION_SECRET });
      const encoded = secret.data?.code;
      if (!encoded) throw new Error(`Secret ${ACTIVATION_SECRET} has no data.code`);
      const activationCode = Buffer.from(encoded, 'base64').toString('utf8');
      const state = await this.core.readNamespacedSecret({ namespace: CONNECTOR_NAMESPACE, name: stateName }).catch(() => undefined);
      const saved = state?.data?.['connector-config'] ? JSON.parse(Buffer.from(state.data['connector-config'], 'base64').toString('utf8')) as { activationId?: string } : undefined;
      if (saved?.activationId === activationId) {
        this.record({ pod: name, outcome: 'reused', detail: `state ${stateName} already holds activation ${activationId}` });
        return;
      }
      const instanceId = await this.control.registerAgent({ activationId, activationCode });
      this.record({ pod: name, outcome: 'registered', detail: `managed instance ${instanceId}` });
      // Once connected, the real connector lets EKS read the cluster's /version (its meta-access ClusterRole).
      await this.reportVersion(activationId).catch((error: unknown) => this.log(`simulated agent: ${name} could not report the Kubernetes version: ${String(error)}`));
      // Then keep the state, as connector-init does; a failure here is logged, the registration stands.
      const data = { 'connector-config': Buffer.from(JSON.stringify({ activationId })).toString('base64'), regkey: Buffer.from(JSON.stringify({ instanceID: instanceId })).toString('base64') };
      const body = { metadata: { name: stateName, namespace: CONNECTOR_NAMESPACE, labels: { name: stateName } }, type: 'Opaque', data };
      await this.core.createNamespacedSecret({ namespace: CONNECTOR_NAMESPACE, body })
        .catch(() => this.core.replaceNamespacedSecret({ namespace: CONNECTOR_NAMESPACE, name: stateName, body }))
        .catch((error: unknown) => this.log(`simulated agent: ${name} could not keep its state in ${stateName}: ${String(error)}`));
      return;
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      this.record({ pod: name, outcome: 'refused', detail });
      // connector-init exits non-zero: the pod shows Init:Error, as on a real cluster.
      const patch = pod.metadata?.annotations
        ? [{ op: 'add', path: `/metadata/annotations/${SIMULATE_ANNOTATION.replace('/', '~1')}`, value: 'Init:Error' }]
        : [{ op: 'add', path: '/metadata/annotations', value: { [SIMULATE_ANNOTATION]: 'Init:Error' } }];
      await this.core.patchNamespacedPod({ namespace: CONNECTOR_NAMESPACE, name, body: patch }).catch(() => undefined);
    }
  }

  private async reportVersion(activationId: string): Promise<void> {
    const info = await this.version.getCode();
    const minor = /^\d+/.exec(info.minor)?.[0];
    if (!/^\d+$/.test(info.major) || !minor) throw new Error(`unexpected /version ${info.major}.${info.minor}`);
    await this.control.reportKubernetesVersion(activationId, `${info.major}.${minor}`);
  }

  private record(event: AgentEvent): void {
    this.events.push(event);
    this.log(`simulated agent: ${event.pod} ${event.outcome}: ${event.detail}`);
  }
}

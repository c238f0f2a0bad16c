// simulatePodState: kwok stages (CrashLoopBackOff, Init:Error, back to Running) and real unschedulability
// (Pending), as seen in pod status by any client.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { RESTART_INTERVAL_ANNOTATION, RUN_DURATION_ANNOTATION, SIMULATE_ANNOTATION, type RunningKubeCluster } from '../../scripts/kube/cluster';
import { eventually, freshNamespace, sharedCluster } from './shared';

describe('kube-cluster: simulated pod states', function () {
  this.timeout(60_000);
  let cluster: RunningKubeCluster;
  let core: k8s.CoreV1Api;
  let namespace: string;

  before(async function () {
    this.timeout(180_000);
    cluster = await sharedCluster();
    core = cluster.kubeConfig().makeApiClient(k8s.CoreV1Api);
    namespace = await freshNamespace(cluster.kubeConfig(), 'simulate');
  });

  async function runningPod(name: string, spec: Partial<k8s.V1PodSpec> = {}, annotations: Record<string, string> = {}): Promise<k8s.V1Pod> {
    await core.createNamespacedPod({
      namespace,
      body: { metadata: { name, annotations }, spec: { containers: [{ name: 'app', image: 'busybox' }, { name: 'sidecar', image: 'envoy' }], ...spec } },
    });
    return eventually(`${name} Running`, () => core.readNamespacedPod({ name, namespace }), (p) => p.status?.phase === 'Running');
  }
  const read = (name: string) => core.readNamespacedPod({ name, namespace });

  it('shows the sample seed\'s crash-looping pod in CrashLoopBackOff', async function () {
    const pods = await core.listNamespacedPod({ namespace: 'shop', labelSelector: 'app=payments' });
    assert.equal(pods.items.length, 1);
    const status = pods.items[0].status?.containerStatuses?.[0];
    assert.equal(status?.state?.waiting?.reason, 'CrashLoopBackOff');
    assert.ok((status?.restartCount ?? 0) >= 1);
  });

  it('CrashLoopBackOff: waiting reason CrashLoopBackOff, last run exited 1, restart count rising', async function () {
    await runningPod('crasher', {}, { [RESTART_INTERVAL_ANNOTATION]: '1s' });
    await cluster.simulatePodState(namespace, 'crasher', 'CrashLoopBackOff');
    const pod = await read('crasher');
    const [app, sidecar] = pod.status?.containerStatuses ?? [];
    assert.equal(pod.status?.phase, 'Running');
    assert.equal(app.state?.waiting?.reason, 'CrashLoopBackOff');
    assert.match(app.state?.waiting?.message ?? '', /back-off .* restarting failed container=app pod=crasher_/);
    assert.equal(app.lastState?.terminated?.exitCode, 1);
    assert.equal(app.lastState?.terminated?.reason, 'Error');
    assert.equal(app.ready, false);
    assert.equal(sidecar.state?.running !== undefined, true, 'other containers keep running');
    assert.equal(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'False');
    const first = app.restartCount;
    const later = await eventually('restart count to rise', () => read('crasher'),
      (p) => (p.status?.containerStatuses?.[0].restartCount ?? 0) >= first + 2, 10_000);
    assert.ok(later.status!.containerStatuses![0].restartCount >= first + 2);
  });

  it('Running again after CrashLoopBackOff, keeping the restart count', async function () {
    await cluster.simulatePodState(namespace, 'crasher', 'Running');
    const pod = await read('crasher');
    assert.equal(pod.metadata?.annotations?.[SIMULATE_ANNOTATION], 'Running');
    assert.equal(pod.status?.containerStatuses?.[0].state?.running !== undefined, true);
    assert.ok((pod.status?.containerStatuses?.[0].restartCount ?? 0) >= 1);
    assert.equal(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  });

  it('Init:Error: first init container terminated with exit code 1, reason Error; pod Pending', async function () {
    await runningPod('initfail', { initContainers: [{ name: 'migrate', image: 'flyway' }, { name: 'warm', image: 'busybox' }] });
    await cluster.simulatePodState(namespace, 'initfail', 'Init:Error');
    const pod = await read('initfail');
    const [migrate, warm] = pod.status?.initContainerStatuses ?? [];
    assert.equal(migrate.state?.terminated?.reason, 'Error');
    assert.equal(migrate.state?.terminated?.exitCode, 1);
    assert.equal(warm.state?.waiting?.reason, 'PodInitializing');
    assert.equal(pod.status?.containerStatuses?.[0].state?.waiting?.reason, 'PodInitializing');
    assert.equal(pod.status?.phase, 'Pending');
    assert.equal(pod.status?.conditions?.find((c) => c.type === 'Initialized')?.status, 'False');
    // kwok runs pod-ready for every pod it sees; once a pod created after the hold is Running, it has had its turn.
    await runningPod('initfail-witness');
    const held = await read('initfail');
    assert.equal(held.status?.phase, 'Pending', 'kwok\'s pod-ready does not start it again');
    assert.equal(held.metadata?.resourceVersion, pod.metadata?.resourceVersion, 'nothing rewrites the held status');
    await cluster.simulatePodState(namespace, 'initfail', 'Running');
    assert.equal((await read('initfail')).status?.initContainerStatuses?.[0].state?.terminated?.reason, 'Completed');
  });

  it('completes a Job\'s pod at once, or after its run-duration; a crash-looping Job pod never completes', async function () {
    const batch = cluster.kubeConfig().makeApiClient(k8s.BatchV1Api);
    const job = (name: string, annotations: Record<string, string>) => batch.createNamespacedJob({
      namespace,
      body: {
        metadata: { name },
        spec: { backoffLimit: 0, template: { metadata: { annotations }, spec: { restartPolicy: 'Never', containers: [{ name: 'work', image: 'busybox' }] } } },
      },
    });
    const podOf = (name: string) => core.listNamespacedPod({ namespace, labelSelector: `job-name=${name}` }).then((l) => l.items[0]);
    const phase = (p: k8s.V1Pod | undefined) => p?.status?.phase;
    await Promise.all([
      job('quick', {}),
      job('slow', { [RUN_DURATION_ANNOTATION]: '3s' }),
      job('crashing', { [SIMULATE_ANNOTATION]: 'CrashLoopBackOff', [RESTART_INTERVAL_ANNOTATION]: '500ms' }),
    ]);

    const quick = await eventually('quick Succeeded', () => podOf('quick'), (p) => phase(p) === 'Succeeded');
    const slowRunning = await eventually('slow Running', () => podOf('slow'), (p) => phase(p) === 'Running');
    const runningSince = Date.now();
    const slow = await eventually('slow Succeeded', () => podOf('slow'), (p) => phase(p) === 'Succeeded', 15_000);
    assert.ok(Date.now() - runningSince >= 2_000, `slow ran ${Date.now() - runningSince} ms of its 3s`);
    for (const done of [quick, slow]) {
      const [work] = done.status?.containerStatuses ?? [];
      assert.equal(work.state?.terminated?.exitCode, 0);
      assert.equal(work.state?.terminated?.reason, 'Completed');
      assert.equal(work.state?.running, undefined);
      assert.equal(work.ready, false);
    }
    assert.equal(slow.status?.containerStatuses?.[0].state?.terminated?.startedAt?.toISOString(),
      slowRunning.status?.containerStatuses?.[0].state?.running?.startedAt?.toISOString(), 'terminated.startedAt is when it began running');
    for (const done of [quick, slow]) {
      const ready = await eventually('Ready False after completion', () => podOf(done.metadata!.labels!['job-name']),
        (p) => p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'False');
      assert.equal(ready.status?.conditions?.find((c) => c.type === 'Ready')?.reason, 'PodCompleted');
    }
    assert.equal(slowRunning.status?.podIP, slow.status?.podIP);

    const crashing = await podOf('crashing');
    assert.equal(phase(crashing), 'Running');
    assert.equal(crashing.status?.containerStatuses?.[0].state?.waiting?.reason, 'CrashLoopBackOff');
    assert.ok((crashing.status?.containerStatuses?.[0].restartCount ?? 0) >= 3, 'it crashed again and again meanwhile');
  });

  it('refuses Init:Error for a pod without init containers', async function () {
    await runningPod('noinit');
    await assert.rejects(cluster.simulatePodState(namespace, 'noinit', 'Init:Error'), /has no init containers/);
  });

  it('Pending: the pod is re-created unbound and the real scheduler reports it Unschedulable; Running binds it again', async function () {
    const before = await runningPod('stuck', { nodeSelector: { 'kubernetes.io/arch': 'amd64' } });
    await cluster.simulatePodState(namespace, 'stuck', 'Pending');
    const pending = await read('stuck');
    assert.notEqual(pending.metadata?.uid, before.metadata?.uid);
    assert.equal(pending.status?.phase, 'Pending');
    assert.equal(pending.spec?.nodeName, undefined);
    const scheduled = pending.status?.conditions?.find((c) => c.type === 'PodScheduled');
    assert.equal(scheduled?.status, 'False');
    assert.equal(scheduled?.reason, 'Unschedulable');
    assert.match(scheduled?.message ?? '', /didn't match Pod's node affinity\/selector/);

    await cluster.simulatePodState(namespace, 'stuck', 'Running');
    const running = await read('stuck');
    assert.equal(running.status?.phase, 'Running');
    assert.deepEqual(running.spec?.nodeSelector, { 'kubernetes.io/arch': 'amd64' });
    assert.match(running.spec?.nodeName ?? '', /amd64/);
  });

  it('refuses Pending for a pod a controller owns, and explains why', async function () {
    const pods = await core.listNamespacedPod({ namespace: 'shop', labelSelector: 'app=frontend' });
    await assert.rejects(cluster.simulatePodState('shop', pods.items[0].metadata!.name!, 'Pending'), /controlled by ReplicaSet/);
  });

  // Where kwok's own stages and the project's both match a pod, the project's must win (weight 1 against 0): kwok's
  // pod-ready on a pod that already has an IP hands out a second one, which the API server refuses.
  // Only this suite's pods: a pod deleted meanwhile (re-created by simulatePodState) just makes kwok log "not found",
  // and kwok itself can play pod-ready twice on a DaemonSet pod of a node that has just joined (once from its watch,
  // once from its sync of the node's pods), which the other suites' new nodes may show.
  it('kwok\'s log shows no refused stage for this suite\'s pods', function () {
    const failures = fs.readFileSync(cluster.components.kwok.logPath, 'utf8').split('\n')
      .filter((line) => line.includes('"level":"ERROR"') && line.includes(`"pod":"${namespace}/`) && !/not found/.test(line));
    assert.deepEqual(failures, []);
  });
});

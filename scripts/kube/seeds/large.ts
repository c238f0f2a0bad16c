// The `large` seed: 5,000 pods on 200 nodes across 50 namespaces, all Running, as a load for list and watch views.
// kube-system runs one kube-proxy pod per node (200); each of the 50 team namespaces runs a `web` Deployment (40),
// a `worker` Deployment (40) and a `cache` StatefulSet (16): 50 × 96 = 4,800. Pods are made by the real
// controllers, so they carry the owner references, labels and hashes real pods have.
import type { KubeSeed, NodeSpec } from '../seed';
import { daemonSet, deployment, namespace, service, statefulSet } from './sample';

export const LARGE_NODES = 200;
export const LARGE_NAMESPACES = 50;
export const LARGE_PODS = LARGE_NODES + LARGE_NAMESPACES * 96;

export function largeSeed(): KubeSeed {
  const nodes: NodeSpec[] = Array.from({ length: LARGE_NODES }, (_, i) => {
    const arm = i % 10 === 9; // one node in ten is Graviton
    return { name: `large-${arm ? 'arm64' : 'amd64'}-${String(i).padStart(3, '0')}`, arch: arm ? 'arm64' : 'amd64', pods: 110 };
  });
  const tiny = { requests: { cpu: '10m', memory: '32Mi' } };
  const objects = [
    daemonSet('kube-system', 'kube-proxy', [{ name: 'kube-proxy', image: 'registry.k8s.io/kube-proxy:v1.36.3', resources: tiny }], {
      priorityClassName: 'system-node-critical', tolerations: [{ operator: 'Exists' }],
    }),
  ];
  for (let n = 0; n < LARGE_NAMESPACES; n++) {
    const ns = `team-${String(n).padStart(2, '0')}`;
    objects.push(
      namespace(ns, { team: ns }),
      deployment(ns, 'web', [{ name: 'web', image: 'public.ecr.aws/nginx/nginx:1.27', resources: tiny, ports: [{ containerPort: 80 }] }], { replicas: 40 }),
      service(ns, 'web', 80),
      deployment(ns, 'worker', [{ name: 'worker', image: 'public.ecr.aws/docker/library/python:3.13-slim', resources: tiny }], { replicas: 40 }),
      statefulSet(ns, 'cache', [{ name: 'redis', image: 'public.ecr.aws/docker/library/redis:7.4', resources: tiny }], { replicas: 16 }),
      service(ns, 'cache', 6379, { clusterIP: 'None' }),
    );
  }
  return { name: 'large', nodes, objects, timeoutMs: 600_000 };
}

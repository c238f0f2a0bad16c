// The `sample` seed: a small, lifelike cluster. Three Linux amd64 nodes and one arm64 node (a manifest without a
// nodeSelector may land on the arm64 one), system add-ons in kube-system, and a few application namespaces with
// Deployments, StatefulSets, DaemonSets, a Job, a CronJob, Services, one crash-looping pod, one pod that cannot be
// scheduled and one bare pod.
import type * as k8s from '@kubernetes/client-node';
import { RUN_DURATION_ANNOTATION, SIMULATE_ANNOTATION, WAIT_ANNOTATION, type KubeSeed } from '../seed';

type Obj = k8s.KubernetesObject & Record<string, unknown>;

const small = { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } };

function container(name: string, image: string, port?: number): k8s.V1Container {
  return { name, image, resources: small, ...(port ? { ports: [{ containerPort: port, name: 'http' }] } : {}) };
}

interface WorkloadOptions {
  replicas?: number;
  podAnnotations?: Record<string, string>;
  annotations?: Record<string, string>;
  nodeSelector?: Record<string, string>;
  initContainers?: k8s.V1Container[];
  serviceAccountName?: string;
  priorityClassName?: string;
  tolerations?: k8s.V1Toleration[];
}

function podTemplate(app: string, containers: k8s.V1Container[], o: WorkloadOptions): k8s.V1PodTemplateSpec {
  return {
    metadata: { labels: { app }, ...(o.podAnnotations ? { annotations: o.podAnnotations } : {}) },
    spec: {
      containers,
      ...(o.initContainers ? { initContainers: o.initContainers } : {}),
      ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
      ...(o.serviceAccountName ? { serviceAccountName: o.serviceAccountName } : {}),
      ...(o.priorityClassName ? { priorityClassName: o.priorityClassName } : {}),
      ...(o.tolerations ? { tolerations: o.tolerations } : {}),
    },
  };
}

export function deployment(namespace: string, app: string, containers: k8s.V1Container[], o: WorkloadOptions = {}): Obj {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: app, namespace, labels: { app }, ...(o.annotations ? { annotations: o.annotations } : {}) },
    spec: { replicas: o.replicas ?? 1, selector: { matchLabels: { app } }, template: podTemplate(app, containers, o) },
  };
}

export function statefulSet(namespace: string, app: string, containers: k8s.V1Container[], o: WorkloadOptions = {}): Obj {
  return {
    apiVersion: 'apps/v1', kind: 'StatefulSet',
    metadata: { name: app, namespace, labels: { app } },
    spec: {
      replicas: o.replicas ?? 1, serviceName: app, podManagementPolicy: 'Parallel',
      selector: { matchLabels: { app } }, template: podTemplate(app, containers, o),
    },
  };
}

export function daemonSet(namespace: string, app: string, containers: k8s.V1Container[], o: WorkloadOptions = {}): Obj {
  return {
    apiVersion: 'apps/v1', kind: 'DaemonSet',
    metadata: { name: app, namespace, labels: { app } },
    spec: { selector: { matchLabels: { app } }, template: podTemplate(app, containers, o) },
  };
}

export function service(namespace: string, app: string, port: number, extra: Record<string, unknown> = {}): Obj {
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: app, namespace, labels: { app } },
    spec: { selector: { app }, ports: [{ name: 'http', port, targetPort: port, protocol: 'TCP' }], ...extra },
  };
}

export function namespace(name: string, labels: Record<string, string> = {}): Obj {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

export function sampleSeed(): KubeSeed {
  const tolerateAll: k8s.V1Toleration[] = [{ operator: 'Exists' }];
  return {
    name: 'sample',
    nodes: [
      { name: 'sandbox-amd64-1' },
      { name: 'sandbox-amd64-2' },
      { name: 'sandbox-amd64-3' },
      { name: 'sandbox-arm64-1', arch: 'arm64' },
    ],
    objects: [
      namespace('shop', { team: 'storefront' }),
      namespace('data', { team: 'platform' }),
      namespace('monitoring', { team: 'platform' }),
      namespace('ml', { team: 'research' }),

      // kube-system add-ons as a real cluster has them.
      daemonSet('kube-system', 'kube-proxy', [container('kube-proxy', 'registry.k8s.io/kube-proxy:v1.36.3')], {
        priorityClassName: 'system-node-critical', tolerations: tolerateAll,
      }),
      deployment('kube-system', 'coredns', [container('coredns', 'registry.k8s.io/coredns/coredns:v1.12.1', 53)], {
        replicas: 2, priorityClassName: 'system-cluster-critical', nodeSelector: { 'kubernetes.io/os': 'linux' },
      }),
      {
        apiVersion: 'v1', kind: 'Service', metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } },
        spec: { selector: { app: 'coredns' }, clusterIP: '10.96.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }] },
      },

      // shop: a web shop with a payment service that keeps crashing.
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'shop-app', namespace: 'shop' } },
      deployment('shop', 'frontend', [container('nginx', 'public.ecr.aws/nginx/nginx:1.27', 80)], { replicas: 3, serviceAccountName: 'shop-app' }),
      service('shop', 'frontend', 80),
      deployment('shop', 'cart', [container('cart', 'public.ecr.aws/docker/library/redis:7.4', 6379)], { replicas: 2, serviceAccountName: 'shop-app' }),
      service('shop', 'cart', 6379),
      deployment('shop', 'payments', [container('payments', 'public.ecr.aws/docker/library/python:3.13-slim', 8080)], {
        serviceAccountName: 'shop-app',
        annotations: { [WAIT_ANNOTATION]: 'false' },
        podAnnotations: { [SIMULATE_ANNOTATION]: 'CrashLoopBackOff' },
      }),
      service('shop', 'payments', 8080),

      // data: a database StatefulSet with an init container, a finished migration Job and a nightly CronJob.
      statefulSet('data', 'postgres', [container('postgres', 'public.ecr.aws/docker/library/postgres:16', 5432)], {
        replicas: 2,
        initContainers: [{ name: 'init-permissions', image: 'public.ecr.aws/docker/library/busybox:1.37', command: ['sh', '-c', 'chown -R 999:999 /var/lib/postgresql'], resources: small }],
      }),
      service('data', 'postgres', 5432, { clusterIP: 'None' }),
      {
        apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'schema-migrate', namespace: 'data' },
        spec: {
          backoffLimit: 2,
          template: {
            metadata: { annotations: { [RUN_DURATION_ANNOTATION]: '1s' } },
            spec: { restartPolicy: 'Never', containers: [container('migrate', 'public.ecr.aws/docker/library/postgres:16')] },
          },
        },
      },
      {
        apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'nightly-backup', namespace: 'data' },
        spec: {
          schedule: '0 3 * * *',
          jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [container('backup', 'public.ecr.aws/docker/library/postgres:16')] } } } },
        },
      },

      // monitoring: a node agent on every Linux node and a server.
      daemonSet('monitoring', 'node-exporter', [container('node-exporter', 'quay.io/prometheus/node-exporter:v1.9.1', 9100)], {
        nodeSelector: { 'kubernetes.io/os': 'linux' }, tolerations: tolerateAll,
      }),
      deployment('monitoring', 'prometheus', [container('prometheus', 'quay.io/prometheus/prometheus:v3.5.0', 9090)]),
      service('monitoring', 'prometheus', 9090),

      // ml: asks for GPU instances the cluster does not have, so its pod stays Pending (Unschedulable).
      deployment('ml', 'trainer', [container('trainer', 'public.ecr.aws/docker/library/python:3.13-slim')], {
        annotations: { [WAIT_ANNOTATION]: 'false' },
        nodeSelector: { 'node.kubernetes.io/instance-type': 'p4d.24xlarge' },
      }),

      // default: a bare pod (no controller), as `kubectl run` makes.
      {
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'toolbox', namespace: 'default', labels: { run: 'toolbox' } },
        spec: { containers: [{ ...container('toolbox', 'public.ecr.aws/docker/library/busybox:1.37'), command: ['sleep', 'infinity'] }] },
      },
    ],
  };
}

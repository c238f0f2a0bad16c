// The EKS Connector manifest (docs/connector-reference.md#manifest, #containers) as typed Kubernetes objects, plus the impersonation and console-access
// RBAC. Rendered locally from the RegisterCluster response, so nothing is downloaded and every value is checked.
// The activation code is secret and single-use: it appears only, base64-encoded, in the activation Secret.
import {
  dumpYaml,
  type KubernetesObject, type V1ClusterRole, type V1ClusterRoleBinding, type V1ConfigMap, type V1Container,
  type V1Namespace, type V1PolicyRule, type V1Role, type V1RoleBinding, type V1SecurityContext, type V1Secret,
  type V1PodSpec, type V1ServiceAccount, type V1StatefulSet,
} from '@kubernetes/client-node';
import { consoleAccessObjects, renderConsoleAccess, type ConsoleAccess, type ConsoleAccessGrant } from './consoleAccess';
import { resolveImages, type ConnectorImages, type ImageOverrides } from './images';
import {
  CONNECTOR_APP_LABEL, CONNECTOR_NAMESPACE, CONNECTOR_SERVICE_ACCOUNT, managedObjectMeta, validateClusterName,
  type RegistrationTarget,
} from './names';

export const ACTIVATION_SECRET_NAME = 'eks-connector-activation-config';
export const TOKEN_SECRET_NAME = 'eks-connector-token';
export const SECRET_ACCESS_ROLE_NAME = 'eks-connector-secret-access';
export const CLUSTER_META_ACCESS_ROLE_NAME = 'eks-connector-cluster-meta-access';
export const AGENT_CONFIG_MAP_NAME = 'eks-connector-agent';
export const STATEFUL_SET_NAME = 'eks-connector';
/** Prefix of the per-pod state Secrets `connector-init` creates (`eks-connector-state-<ordinal>`). */
export const STATE_SECRET_PREFIX = 'eks-connector-state-';
export const DEFAULT_REPLICAS = 2;

/** Node labels the connector needs: the docs support Linux x86-64 nodes only (docs/connector-reference.md#nodes). */
export const LINUX_AMD64_NODE_SELECTOR = { 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' } as const;

export interface ConnectorManifestOptions {
  /** The EKS registration name; recorded in an annotation on every object. */
  clusterName: string;
  region: string;
  /** From the RegisterCluster response (`connectorConfig.activationId`). */
  activationId: string;
  /** From the RegisterCluster response (`connectorConfig.activationCode`), as returned (not base64). */
  activationCode: string;
  images?: ImageOverrides;
  /** Default true: schedule on `kubernetes.io/os: linux` + `kubernetes.io/arch: amd64` nodes only. */
  linuxAmd64NodeSelector?: boolean;
  /**
   * Default 2, as shipped. At most 2: the Role grants one state Secret per replica, and how many instances the
   * EKS-made SSM activation accepts is not documented (the static manifest uses 2).
   */
  replicas?: 1 | 2;
  /** Who may use the EKS console on this cluster; at least one principal. */
  consoleAccess: ConsoleAccessGrant[];
}

export interface ConnectorManifest extends RegistrationTarget {
  readonly namespace: V1Namespace;
  readonly serviceAccount: V1ServiceAccount;
  readonly activationSecret: V1Secret;
  readonly tokenSecret: V1Secret;
  readonly secretAccessRole: V1Role;
  readonly clusterMetaAccessRole: V1ClusterRole;
  readonly secretAccessRoleBinding: V1RoleBinding;
  readonly clusterMetaAccessRoleBinding: V1ClusterRoleBinding;
  readonly agentConfig: V1ConfigMap;
  readonly statefulSet: V1StatefulSet;
  readonly consoleAccess: ConsoleAccess;
}

export type ConnectorObject =
  | V1Namespace | V1ServiceAccount | V1Secret | V1Role | V1ClusterRole | V1RoleBinding | V1ClusterRoleBinding
  | V1ConfigMap | V1StatefulSet;

// ---------------------------------------------------------------------------------------------------------------
// Input checks (thrown as errors: these values come from the AWS response, not from typing)

const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;
// SSM activation ids are UUIDs (CreateActivation `ActivationId` pattern).
const ACTIVATION_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function checkOptions(options: ConnectorManifestOptions): { target: RegistrationTarget; replicas: number; images: ConnectorImages } {
  const name = validateClusterName(options.clusterName);
  if (!name.ok) throw new Error(`Cluster name: ${name.message}`);
  if (!REGION_PATTERN.test(options.region)) throw new Error(`"${options.region}" is not a region code such as us-west-2.`);
  if (!ACTIVATION_ID_PATTERN.test(options.activationId)) {
    throw new Error(`"${options.activationId}" is not an SSM activation id (a lowercase UUID); take it from the RegisterCluster response.`);
  }
  // Never echo the code itself in an error: messages end up in logs.
  const code = options.activationCode;
  if (code.length < 20 || code.length > 250) throw new Error(`The activation code has ${code.length} characters; SSM activation codes have 20 to 250.`);
  if (/\s/.test(code)) throw new Error('The activation code contains blanks; copy it again from the RegisterCluster response.');
  const replicas = options.replicas ?? DEFAULT_REPLICAS;
  if (replicas !== 1 && replicas !== 2) throw new Error(`replicas must be 1 or 2, not ${String(replicas)}.`);
  return { target: { clusterName: name.value, region: options.region }, replicas, images: resolveImages(options.images) };
}

/** Base64 of the code as Kubernetes Secret `data` needs it: standard alphabet, padded, no line breaks. */
export function encodeActivationCode(activationCode: string): string {
  return Buffer.from(activationCode, 'utf8').toString('base64');
}

// ---------------------------------------------------------------------------------------------------------------
// SSM agent configuration (ConfigMap `eks-connector-agent`)

/** Agent settings: rotate the key weekly, run in container mode, take the identity from the on-prem registration. */
export const SSM_AGENT_CONFIG_JSON = `${JSON.stringify(
  { Profile: { KeyAutoRotateDays: 7 }, Agent: { ContainerMode: true }, Identity: { ConsumptionOrder: ['OnPrem'] } },
  null,
  2,
)}\n`;

/**
 * Seelog: info level to the console and a 30 MB × 5 rolling log; errors also to a 10 MB × 5 error log. These are
 * the files the troubleshooting steps read (`/var/log/amazon/ssm/amazon-ssm-agent.log`, `.../errors.log`).
 */
export const SSM_AGENT_SEELOG_XML = [
  '<seelog type="adaptive" mininterval="2000000" maxinterval="100000000" critmsgcount="500" minlevel="info">',
  '  <outputs formatid="info">',
  '    <console formatid="info"/>',
  '    <rollingfile type="size" filename="/var/log/amazon/ssm/amazon-ssm-agent.log" maxsize="30000000" maxrolls="5"/>',
  '    <filter levels="error,critical" formatid="error">',
  '      <console formatid="error"/>',
  '      <rollingfile type="size" filename="/var/log/amazon/ssm/errors.log" maxsize="10000000" maxrolls="5"/>',
  '    </filter>',
  '  </outputs>',
  '  <formats>',
  '    <format id="info" format="%Date %Time %LEVEL %Msg%n"/>',
  '    <format id="error" format="%Date %Time %LEVEL [%FuncShort @ %File.%Line] %Msg%n"/>',
  '  </formats>',
  '</seelog>',
  '',
].join('\n');

// ---------------------------------------------------------------------------------------------------------------
// Rendering

const VAULT_DIR = '/var/lib/amazon/ssm/Vault';
const SHARED_DIR = '/var/eks/shared';
const TOKEN_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const VOLUME = {
  shared: 'eks-connector-shared',
  vault: 'eks-agent-vault',
  agentConfig: 'eks-agent-config',
  token: 'service-account-token',
} as const;

// All three containers: no privilege escalation, no capabilities but DAC_OVERRIDE (needed to share the vault files).
const containerSecurityContext = (): V1SecurityContext => ({
  allowPrivilegeEscalation: false,
  capabilities: { add: ['DAC_OVERRIDE'], drop: ['all'] },
});
const podNameEnv = () => ({ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });

/** The connector's containers; `connector-init` and `connector-proxy` run the connector image, `connector-agent` the SSM agent. */
export const CONTAINER = { init: 'connector-init', agent: 'connector-agent', proxy: 'connector-proxy' } as const;

/** What a connector pod runs with, read back from its spec in the terms it was rendered from. */
export function installedConnector(pod: V1PodSpec | undefined): { images: ImageOverrides; linuxAmd64NodeSelector: boolean } {
  const image = (name: string) => [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])].find((c) => c.name === name)?.image;
  return {
    images: { connector: image(CONTAINER.proxy), ssmAgent: image(CONTAINER.agent) },
    linuxAmd64NodeSelector: !!pod?.nodeSelector?.['kubernetes.io/arch'],
  };
}

function renderStatefulSet(target: RegistrationTarget, options: ConnectorManifestOptions, replicas: number, images: ConnectorImages): V1StatefulSet {
  const initContainer: V1Container = {
    name: CONTAINER.init,
    image: images.connector,
    imagePullPolicy: 'IfNotPresent',
    env: [
      podNameEnv(),
      // Kubernetes decodes the Secret, so the binary receives the code as AWS returned it.
      { name: 'EKS_ACTIVATION_CODE', valueFrom: { secretKeyRef: { name: ACTIVATION_SECRET_NAME, key: 'code' } } },
      { name: 'EKS_ACTIVATION_ID', value: options.activationId },
    ],
    args: ['init', '--activation.id=$(EKS_ACTIVATION_ID)', '--activation.code=$(EKS_ACTIVATION_CODE)', `--agent.region=${target.region}`],
    volumeMounts: [
      { name: VOLUME.token, mountPath: TOKEN_DIR },
      { name: VOLUME.vault, mountPath: VAULT_DIR },
    ],
    securityContext: containerSecurityContext(),
  };
  const agentContainer: V1Container = {
    name: CONTAINER.agent,
    image: images.ssmAgent,
    imagePullPolicy: 'IfNotPresent',
    env: [{ name: 'AWS_EC2_METADATA_DISABLED', value: 'true' }],
    volumeMounts: [
      { name: VOLUME.shared, mountPath: SHARED_DIR },
      { name: VOLUME.vault, mountPath: VAULT_DIR },
      { name: VOLUME.agentConfig, mountPath: '/etc/amazon/ssm/amazon-ssm-agent.json', subPath: 'amazon-ssm-agent.json' },
      { name: VOLUME.agentConfig, mountPath: '/etc/amazon/ssm/seelog.xml', subPath: 'seelog.xml' },
    ],
    securityContext: containerSecurityContext(),
  };
  const proxyContainer: V1Container = {
    name: CONTAINER.proxy,
    image: images.connector,
    imagePullPolicy: 'IfNotPresent',
    env: [podNameEnv()],
    args: ['server'],
    volumeMounts: [
      { name: VOLUME.token, mountPath: TOKEN_DIR },
      { name: VOLUME.shared, mountPath: SHARED_DIR },
      { name: VOLUME.vault, mountPath: VAULT_DIR },
    ],
    securityContext: containerSecurityContext(),
  };
  const nodeSelector = options.linuxAmd64NodeSelector === false ? {} : { nodeSelector: { ...LINUX_AMD64_NODE_SELECTOR } };
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: managedObjectMeta(STATEFUL_SET_NAME, target, CONNECTOR_NAMESPACE, { labels: { ...CONNECTOR_APP_LABEL } }),
    spec: {
      replicas,
      // The selector is immutable once applied, so it stays exactly as in the published manifest.
      selector: { matchLabels: { ...CONNECTOR_APP_LABEL } },
      serviceName: STATEFUL_SET_NAME,
      template: {
        metadata: { labels: { ...CONNECTOR_APP_LABEL } },
        spec: {
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [{
                weight: 100,
                podAffinityTerm: {
                  labelSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: [CONNECTOR_APP_LABEL.app] }] },
                  topologyKey: 'kubernetes.io/hostname',
                },
              }],
            },
          },
          serviceAccountName: CONNECTOR_SERVICE_ACCOUNT,
          ...nodeSelector,
          tolerations: [
            { effect: 'NoSchedule', key: 'node-role.kubernetes.io/master' },
            { key: 'CriticalAddonsOnly', operator: 'Exists' },
          ],
          initContainers: [initContainer],
          containers: [agentContainer, proxyContainer],
          volumes: [
            { name: VOLUME.shared, emptyDir: {} },
            { name: VOLUME.vault, emptyDir: {} },
            { name: VOLUME.agentConfig, configMap: { name: AGENT_CONFIG_MAP_NAME } },
            { name: VOLUME.token, secret: { secretName: TOKEN_SECRET_NAME } },
          ],
        },
      },
    },
  };
}

/**
 * The connector manifest for one registration. Throws on invalid input, including an empty `consoleAccess`
 * (the impersonation rule must always list its users).
 */
export function renderConnectorManifest(options: ConnectorManifestOptions): ConnectorManifest {
  const { target, replicas, images } = checkOptions(options);
  const meta = (name: string, namespace?: string) => managedObjectMeta(name, target, namespace);
  const serviceAccountSubject = { kind: 'ServiceAccount', name: CONNECTOR_SERVICE_ACCOUNT, namespace: CONNECTOR_NAMESPACE };
  const stateSecretNames = Array.from({ length: replicas }, (_, ordinal) => `${STATE_SECRET_PREFIX}${ordinal}`);
  const secretAccessRules: V1PolicyRule[] = [
    // Each pod reads and updates only its own state Secret, named after its ordinal.
    { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'update'], resourceNames: stateSecretNames },
    // Creation cannot be limited by name in RBAC (the name is not known at authorisation time).
    { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
  ];

  return {
    clusterName: target.clusterName,
    region: target.region,
    namespace: { apiVersion: 'v1', kind: 'Namespace', metadata: meta(CONNECTOR_NAMESPACE) },
    serviceAccount: {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: meta(CONNECTOR_SERVICE_ACCOUNT, CONNECTOR_NAMESPACE),
      automountServiceAccountToken: false,
    },
    activationSecret: {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta(ACTIVATION_SECRET_NAME, CONNECTOR_NAMESPACE),
      type: 'Opaque',
      data: { code: encodeActivationCode(options.activationCode) },
    },
    tokenSecret: {
      apiVersion: 'v1',
      kind: 'Secret',
      // A legacy long-lived token: the pods mount it because the ServiceAccount does not automount one.
      metadata: managedObjectMeta(TOKEN_SECRET_NAME, target, CONNECTOR_NAMESPACE, {
        annotations: { 'kubernetes.io/service-account.name': CONNECTOR_SERVICE_ACCOUNT },
      }),
      type: 'kubernetes.io/service-account-token',
    },
    secretAccessRole: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta(SECRET_ACCESS_ROLE_NAME, CONNECTOR_NAMESPACE),
      rules: secretAccessRules,
    },
    clusterMetaAccessRole: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: meta(CLUSTER_META_ACCESS_ROLE_NAME),
      rules: [{ nonResourceURLs: ['/version'], verbs: ['get'] }],
    },
    secretAccessRoleBinding: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta(SECRET_ACCESS_ROLE_NAME, CONNECTOR_NAMESPACE),
      subjects: [{ ...serviceAccountSubject }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: SECRET_ACCESS_ROLE_NAME },
    },
    clusterMetaAccessRoleBinding: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: meta(CLUSTER_META_ACCESS_ROLE_NAME),
      subjects: [{ ...serviceAccountSubject }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: CLUSTER_META_ACCESS_ROLE_NAME },
    },
    agentConfig: {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(AGENT_CONFIG_MAP_NAME, CONNECTOR_NAMESPACE),
      data: { 'amazon-ssm-agent.json': SSM_AGENT_CONFIG_JSON, 'seelog.xml': SSM_AGENT_SEELOG_XML },
    },
    statefulSet: renderStatefulSet(target, options, replicas, images),
    consoleAccess: renderConsoleAccess(options.consoleAccess, target),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Ordering, filtering, YAML

/**
 * Objects in the order they can be created: Namespace, ServiceAccount (before the token Secret, which the token
 * controller would otherwise delete as orphaned), Secrets, Roles/ClusterRoles, bindings, ConfigMap, StatefulSet last
 * so its pods start with everything they mount and every permission they use in place.
 */
export function applyOrder(manifest: ConnectorManifest): ConnectorObject[] {
  const access = consoleAccessObjects(manifest.consoleAccess);
  const isBinding = (o: KubernetesObject) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding';
  return [
    manifest.namespace,
    manifest.serviceAccount,
    manifest.activationSecret,
    manifest.tokenSecret,
    manifest.secretAccessRole,
    manifest.clusterMetaAccessRole,
    ...access.filter((o) => !isBinding(o)),
    manifest.secretAccessRoleBinding,
    manifest.clusterMetaAccessRoleBinding,
    ...access.filter(isBinding),
    manifest.agentConfig,
    manifest.statefulSet,
  ];
}

/** The reverse of applyOrder: the StatefulSet goes first, so no pod runs on half-removed permissions. */
export function deleteOrder(manifest: ConnectorManifest): ConnectorObject[] {
  return applyOrder(manifest).reverse();
}

/**
 * Everything but secret material, in apply order: no activation Secret, and the token Secret without any data.
 * For saving to Git and for "repair", which re-applies without touching the (single-use) activation Secret.
 */
export function nonSecretObjects(manifest: ConnectorManifest): ConnectorObject[] {
  return applyOrder(manifest)
    .filter((o) => o !== manifest.activationSecret)
    .map((o) => {
      if (o !== manifest.tokenSecret) return o;
      const { data: _data, stringData: _stringData, ...withoutData } = manifest.tokenSecret;
      return withoutData;
    });
}

/** `apiVersion/kind/namespace/name`, with an empty namespace for cluster-scoped objects. */
export function objectKey(obj: KubernetesObject): string {
  return `${obj.apiVersion ?? ''}/${obj.kind ?? ''}/${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

// Conventional key order, so the YAML reads like a hand-written manifest: identity first, then metadata, then body.
const KEY_ORDER = ['apiVersion', 'kind', 'metadata', 'name', 'namespace', 'labels', 'annotations', 'type', 'automountServiceAccountToken', 'data', 'spec', 'rules', 'subjects', 'roleRef'];
const keyRank = (key: string): number => {
  const index = KEY_ORDER.indexOf(key);
  return index < 0 ? KEY_ORDER.length : index;
};
const compareKeys = (a: string, b: string): number => keyRank(a) - keyRank(b) || (a < b ? -1 : a > b ? 1 : 0);

/** Multi-document YAML (`---` before each object), as `kubectl apply -f` takes it. */
export function manifestToYaml(objects: readonly KubernetesObject[]): string {
  // noRefs: never emit YAML anchors/aliases for repeated values; lineWidth -1: never fold long strings.
  return objects.map((o) => `---\n${dumpYaml(o, { noRefs: true, lineWidth: -1, sortKeys: compareKeys })}`).join('');
}

import assert from 'node:assert/strict';
import { loadAllYaml, type KubernetesObject, type V1Container } from '@kubernetes/client-node';
import {
  applyOrder, deleteOrder, encodeActivationCode, manifestToYaml, nonSecretObjects, objectKey,
  renderConnectorManifest, SSM_AGENT_CONFIG_JSON, SSM_AGENT_SEELOG_XML, type ConnectorManifestOptions,
} from '../../src/core/connector/manifest';

// A realistic code: long, random-looking, with characters that change under base64url or when a newline is added.
const CODE = 'q7Zr+Tn2/Wx9LmPk4Hs8Vd1Bc6Fy0GjUe3Ra';
const ACTIVATION_ID = '2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f';
const ADMIN = 'arn:aws:iam::123456789012:role/Admin';
const BOB = 'arn:aws:iam::123456789012:user/bob';

const options = (overrides: Partial<ConnectorManifestOptions> = {}): ConnectorManifestOptions => ({
  clusterName: 'demo',
  region: 'eu-west-1',
  activationId: ACTIVATION_ID,
  activationCode: CODE,
  consoleAccess: [{ principalArn: ADMIN, scope: { kind: 'full' } }],
  ...overrides,
});

const MANAGED_LABELS = { 'app.kubernetes.io/managed-by': 'eks-connector-vscode', 'app.kubernetes.io/part-of': 'eks-connector' };
const byName = (containers: V1Container[] | undefined, name: string): V1Container => {
  const container = containers?.find((c) => c.name === name);
  assert.ok(container, `container ${name}`);
  return container;
};
/** Plain JSON form: drops class prototypes and undefined fields so objects compare by content. */
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('connector manifest: objects of the static manifest', () => {
  const manifest = renderConnectorManifest(options());

  it('creates the namespace eks-connector', () => {
    assert.deepEqual(plain(manifest.namespace), {
      apiVersion: 'v1', kind: 'Namespace',
      metadata: { name: 'eks-connector', labels: MANAGED_LABELS, annotations: { 'eks-connector-vscode/cluster': 'eu-west-1/demo' } },
    });
  });

  it('stores the activation code base64-encoded (standard alphabet, no newline) under data.code', () => {
    const secret = manifest.activationSecret;
    assert.equal(secret.kind, 'Secret');
    assert.equal(secret.type, 'Opaque');
    assert.equal(secret.metadata?.name, 'eks-connector-activation-config');
    assert.equal(secret.metadata?.namespace, 'eks-connector');
    assert.equal(secret.data?.code, 'cTdacitUbjIvV3g5TG1QazRIczhWZDFCYzZGeTBHalVlM1Jh');
    assert.equal(Buffer.from(secret.data?.code ?? '', 'base64').toString('utf8'), CODE);
    assert.doesNotMatch(secret.data?.code ?? '', /[\n\-_]/);
    assert.equal(secret.stringData, undefined, 'the code is never stored as plain stringData');
    assert.equal(encodeActivationCode('\u00e9t\u00e9'), 'w6l0w6k=', 'UTF-8 then base64 with padding');
    assert.equal(encodeActivationCode('??>'), 'Pz8+', 'standard alphabet: "+", not "-"');
    assert.equal(encodeActivationCode('???'), 'Pz8/', 'standard alphabet: "/", not "_"');
    assert.doesNotMatch(encodeActivationCode('x'.repeat(200)), /\n/, 'no line wrapping for long codes');
  });

  it('has the Role eks-connector-secret-access for the state Secrets of each replica', () => {
    const role = manifest.secretAccessRole;
    assert.equal(role.kind, 'Role');
    assert.equal(role.metadata?.namespace, 'eks-connector');
    assert.equal(role.metadata?.name, 'eks-connector-secret-access');
    assert.deepEqual(plain(role.rules), [
      { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'update'], resourceNames: ['eks-connector-state-0', 'eks-connector-state-1'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
    ]);
    const single = renderConnectorManifest(options({ replicas: 1 }));
    assert.deepEqual(single.secretAccessRole.rules?.[0].resourceNames, ['eks-connector-state-0']);
    assert.equal(single.statefulSet.spec?.replicas, 1);
  });

  it('has the ClusterRole eks-connector-cluster-meta-access for GET /version', () => {
    assert.equal(manifest.clusterMetaAccessRole.kind, 'ClusterRole');
    assert.equal(manifest.clusterMetaAccessRole.metadata?.name, 'eks-connector-cluster-meta-access');
    assert.equal(manifest.clusterMetaAccessRole.metadata?.namespace, undefined);
    assert.deepEqual(plain(manifest.clusterMetaAccessRole.rules), [{ nonResourceURLs: ['/version'], verbs: ['get'] }]);
  });

  it('has the ServiceAccount without an automounted token, and its legacy token Secret', () => {
    assert.equal(manifest.serviceAccount.metadata?.name, 'eks-connector');
    assert.equal(manifest.serviceAccount.metadata?.namespace, 'eks-connector');
    assert.equal(manifest.serviceAccount.automountServiceAccountToken, false);
    const token = manifest.tokenSecret;
    assert.equal(token.metadata?.name, 'eks-connector-token');
    assert.equal(token.metadata?.namespace, 'eks-connector');
    assert.equal(token.type, 'kubernetes.io/service-account-token');
    assert.equal(token.metadata?.annotations?.['kubernetes.io/service-account.name'], 'eks-connector');
    assert.equal(token.data, undefined, 'Kubernetes fills in the token');
  });

  it('binds the ServiceAccount to both of its roles', () => {
    const subject = [{ kind: 'ServiceAccount', name: 'eks-connector', namespace: 'eks-connector' }];
    assert.equal(manifest.secretAccessRoleBinding.kind, 'RoleBinding');
    assert.equal(manifest.secretAccessRoleBinding.metadata?.name, 'eks-connector-secret-access');
    assert.equal(manifest.secretAccessRoleBinding.metadata?.namespace, 'eks-connector');
    assert.deepEqual(plain(manifest.secretAccessRoleBinding.subjects), subject);
    assert.deepEqual(plain(manifest.secretAccessRoleBinding.roleRef), { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'eks-connector-secret-access' });
    assert.equal(manifest.clusterMetaAccessRoleBinding.kind, 'ClusterRoleBinding');
    assert.equal(manifest.clusterMetaAccessRoleBinding.metadata?.name, 'eks-connector-cluster-meta-access');
    assert.deepEqual(plain(manifest.clusterMetaAccessRoleBinding.subjects), subject);
    assert.deepEqual(plain(manifest.clusterMetaAccessRoleBinding.roleRef), { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'eks-connector-cluster-meta-access' });
  });

  it('configures the SSM agent through the ConfigMap eks-connector-agent', () => {
    const configMap = manifest.agentConfig;
    assert.equal(configMap.metadata?.name, 'eks-connector-agent');
    assert.equal(configMap.metadata?.namespace, 'eks-connector');
    assert.deepEqual(Object.keys(configMap.data ?? {}).sort(), ['amazon-ssm-agent.json', 'seelog.xml']);
    assert.deepEqual(JSON.parse(configMap.data?.['amazon-ssm-agent.json'] ?? ''), {
      Profile: { KeyAutoRotateDays: 7 }, Agent: { ContainerMode: true }, Identity: { ConsumptionOrder: ['OnPrem'] },
    });
    assert.equal(configMap.data?.['amazon-ssm-agent.json'], SSM_AGENT_CONFIG_JSON);
    const seelog = configMap.data?.['seelog.xml'] ?? '';
    assert.equal(seelog, SSM_AGENT_SEELOG_XML);
    assert.match(seelog, /^<seelog [^>]*minlevel="info"/);
    assert.match(seelog, /<console formatid="info"\/>/);
    assert.match(seelog, /<rollingfile type="size" filename="\/var\/log\/amazon\/ssm\/amazon-ssm-agent\.log" maxsize="30000000" maxrolls="5"\/>/);
    assert.match(seelog, /<filter levels="error,critical"[^>]*>\s*<console[^>]*\/>\s*<rollingfile type="size" filename="\/var\/log\/amazon\/ssm\/errors\.log" maxsize="10000000" maxrolls="5"\/>\s*<\/filter>/);
    // Every formatid used is defined, otherwise seelog refuses the configuration.
    const used = new Set([...seelog.matchAll(/formatid="([^"]+)"/g)].map((m) => m[1]));
    const defined = new Set([...seelog.matchAll(/<format id="([^"]+)"/g)].map((m) => m[1]));
    for (const id of used) assert.ok(defined.has(id), `format ${id} is defined`);
  });

  it('labels every object as the extension\'s and records the registration', () => {
    for (const obj of applyOrder(manifest)) {
      assert.deepEqual({ ...obj.metadata?.labels, app: undefined }, { ...MANAGED_LABELS, app: undefined }, objectKey(obj));
      assert.equal(obj.metadata?.annotations?.['eks-connector-vscode/cluster'], 'eu-west-1/demo', objectKey(obj));
    }
  });
});

describe('connector manifest: StatefulSet and containers', () => {
  const manifest = renderConnectorManifest(options());
  const sts = manifest.statefulSet;
  const pod = sts.spec?.template.spec;

  it('is the StatefulSet eks-connector with 2 replicas, serviceName and app label', () => {
    assert.equal(sts.apiVersion, 'apps/v1');
    assert.equal(sts.kind, 'StatefulSet');
    assert.equal(sts.metadata?.name, 'eks-connector');
    assert.equal(sts.metadata?.namespace, 'eks-connector');
    assert.equal(sts.metadata?.labels?.app, 'eks-connector');
    assert.equal(sts.spec?.replicas, 2);
    assert.equal(sts.spec?.serviceName, 'eks-connector');
    assert.deepEqual(plain(sts.spec?.selector), { matchLabels: { app: 'eks-connector' } });
    assert.deepEqual(plain(sts.spec?.template.metadata?.labels), { app: 'eks-connector' });
    assert.equal(pod?.serviceAccountName, 'eks-connector');
  });

  it('prefers spreading pods over hosts and tolerates the master and CriticalAddonsOnly taints', () => {
    assert.deepEqual(plain(pod?.affinity), {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [{
          weight: 100,
          podAffinityTerm: {
            labelSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['eks-connector'] }] },
            topologyKey: 'kubernetes.io/hostname',
          },
        }],
      },
    });
    assert.deepEqual(plain(pod?.tolerations), [
      { effect: 'NoSchedule', key: 'node-role.kubernetes.io/master' },
      { key: 'CriticalAddonsOnly', operator: 'Exists' },
    ]);
  });

  it('runs connector-init with the activation id as a literal and the code from the Secret', () => {
    assert.equal(pod?.initContainers?.length, 1);
    const init = byName(pod?.initContainers, 'connector-init');
    assert.equal(init.image, 'public.ecr.aws/eks-connector/eks-connector:0.0.11');
    assert.equal(init.imagePullPolicy, 'IfNotPresent');
    assert.deepEqual(init.args, ['init', '--activation.id=$(EKS_ACTIVATION_ID)', '--activation.code=$(EKS_ACTIVATION_CODE)', '--agent.region=eu-west-1']);
    assert.deepEqual(plain(init.env), [
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'EKS_ACTIVATION_CODE', valueFrom: { secretKeyRef: { name: 'eks-connector-activation-config', key: 'code' } } },
      { name: 'EKS_ACTIVATION_ID', value: ACTIVATION_ID },
    ]);
    assert.deepEqual(plain(init.volumeMounts), [
      { name: 'service-account-token', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
      { name: 'eks-agent-vault', mountPath: '/var/lib/amazon/ssm/Vault' },
    ]);
  });

  it('runs connector-agent (SSM agent) with IMDS disabled and the ConfigMap files mounted', () => {
    const agent = byName(pod?.containers, 'connector-agent');
    assert.equal(agent.image, 'public.ecr.aws/amazon-ssm-agent/amazon-ssm-agent:3.2.2303.0');
    assert.equal(agent.imagePullPolicy, 'IfNotPresent');
    assert.equal(agent.args, undefined);
    assert.deepEqual(plain(agent.env), [{ name: 'AWS_EC2_METADATA_DISABLED', value: 'true' }]);
    assert.deepEqual(plain(agent.volumeMounts), [
      { name: 'eks-connector-shared', mountPath: '/var/eks/shared' },
      { name: 'eks-agent-vault', mountPath: '/var/lib/amazon/ssm/Vault' },
      { name: 'eks-agent-config', mountPath: '/etc/amazon/ssm/amazon-ssm-agent.json', subPath: 'amazon-ssm-agent.json' },
      { name: 'eks-agent-config', mountPath: '/etc/amazon/ssm/seelog.xml', subPath: 'seelog.xml' },
    ]);
  });

  it('runs connector-proxy with the server subcommand', () => {
    assert.deepEqual(pod?.containers.map((c) => c.name), ['connector-agent', 'connector-proxy']);
    const proxy = byName(pod?.containers, 'connector-proxy');
    assert.equal(proxy.image, 'public.ecr.aws/eks-connector/eks-connector:0.0.11');
    assert.equal(proxy.imagePullPolicy, 'IfNotPresent');
    assert.deepEqual(proxy.args, ['server']);
    assert.deepEqual(plain(proxy.env), [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }]);
    assert.deepEqual(plain(proxy.volumeMounts), [
      { name: 'service-account-token', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
      { name: 'eks-connector-shared', mountPath: '/var/eks/shared' },
      { name: 'eks-agent-vault', mountPath: '/var/lib/amazon/ssm/Vault' },
    ]);
  });

  it('gives all three containers the same restricted securityContext', () => {
    const all = [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])];
    assert.equal(all.length, 3);
    for (const container of all) {
      assert.deepEqual(plain(container.securityContext), { allowPrivilegeEscalation: false, capabilities: { add: ['DAC_OVERRIDE'], drop: ['all'] } }, container.name);
    }
    assert.notEqual(all[0].securityContext, all[1].securityContext, 'no shared object that one edit would change for all');
  });

  it('declares the four volumes the containers mount', () => {
    assert.deepEqual(plain(pod?.volumes), [
      { name: 'eks-connector-shared', emptyDir: {} },
      { name: 'eks-agent-vault', emptyDir: {} },
      { name: 'eks-agent-config', configMap: { name: 'eks-connector-agent' } },
      { name: 'service-account-token', secret: { secretName: 'eks-connector-token' } },
    ]);
    const declared = new Set(pod?.volumes?.map((v) => v.name));
    for (const container of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) {
      for (const mount of container.volumeMounts ?? []) assert.ok(declared.has(mount.name), `${container.name} mounts ${mount.name}`);
    }
  });

  it('selects Linux amd64 nodes by default and can leave the selector out', () => {
    assert.deepEqual(plain(pod?.nodeSelector), { 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' });
    const free = renderConnectorManifest(options({ linuxAmd64NodeSelector: false }));
    assert.equal('nodeSelector' in (free.statefulSet.spec?.template.spec ?? {}), false);
    assert.deepEqual(plain(renderConnectorManifest(options({ linuxAmd64NodeSelector: true })).statefulSet.spec?.template.spec?.nodeSelector), { 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' });
  });

  it('uses image overrides for the right containers', () => {
    const mirrored = renderConnectorManifest(options({ images: { connector: 'registry.example.com/eks/connector:0.0.11', ssmAgent: 'registry.example.com/eks/ssm@sha256:' + 'a'.repeat(64) } }));
    const spec = mirrored.statefulSet.spec?.template.spec;
    assert.equal(byName(spec?.initContainers, 'connector-init').image, 'registry.example.com/eks/connector:0.0.11');
    assert.equal(byName(spec?.containers, 'connector-proxy').image, 'registry.example.com/eks/connector:0.0.11');
    assert.equal(byName(spec?.containers, 'connector-agent').image, `registry.example.com/eks/ssm@sha256:${'a'.repeat(64)}`);
    assert.throws(() => renderConnectorManifest(options({ images: { connector: 'Registry/Connector' } })), /EKS connector image override is not valid/);
  });
});

describe('connector manifest: input checks', () => {
  it('refuses bad cluster names, regions, activation ids, codes and replica counts', () => {
    assert.throws(() => renderConnectorManifest(options({ clusterName: 'bad name' })), /Cluster name: A space at position 4/);
    assert.throws(() => renderConnectorManifest(options({ region: 'eu west 1' })), /not a region code/);
    assert.throws(() => renderConnectorManifest(options({ activationId: 'not-a-uuid' })), /not an SSM activation id/);
    assert.throws(() => renderConnectorManifest(options({ activationCode: 'short' })), /5 characters; SSM activation codes have 20 to 250/);
    assert.throws(() => renderConnectorManifest(options({ replicas: 3 as unknown as 2 })), /replicas must be 1 or 2/);
  });

  it('never repeats the activation code in an error message', () => {
    const badCode = `${CODE} trailing`;
    assert.throws(
      () => renderConnectorManifest(options({ activationCode: badCode })),
      (error: Error) => /contains blanks/.test(error.message) && !error.message.includes(CODE),
    );
  });

  it('refuses to render without a principal for the impersonation rule', () => {
    assert.throws(() => renderConnectorManifest(options({ consoleAccess: [] })), /at least one IAM principal/);
  });
});

describe('connector manifest: impersonation', () => {
  it('renders eks-connector-service with resourceNames listing exactly the granted ARNs', () => {
    const manifest = renderConnectorManifest(options({
      consoleAccess: [{ principalArn: ADMIN, scope: { kind: 'full' } }, { principalArn: BOB, scope: { kind: 'namespaces', namespaces: ['default'] } }],
    }));
    const role = manifest.consoleAccess.impersonationRole;
    assert.equal(role.kind, 'ClusterRole');
    assert.equal(role.metadata?.name, 'eks-connector-service');
    assert.deepEqual(plain(role.rules), [{ apiGroups: [''], resources: ['users'], verbs: ['impersonate'], resourceNames: [ADMIN, BOB] }]);
    const binding = manifest.consoleAccess.impersonationBinding;
    assert.equal(binding.kind, 'ClusterRoleBinding');
    assert.equal(binding.metadata?.name, 'eks-connector-service');
    assert.deepEqual(plain(binding.subjects), [{ kind: 'ServiceAccount', name: 'eks-connector', namespace: 'eks-connector' }]);
    assert.deepEqual(plain(binding.roleRef), { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'eks-connector-service' });
  });

  it('has no impersonate rule anywhere without resourceNames', () => {
    const manifest = renderConnectorManifest(options());
    for (const obj of applyOrder(manifest) as Array<KubernetesObject & { rules?: Array<{ verbs: string[]; resourceNames?: string[] }> }>) {
      for (const rule of obj.rules ?? []) {
        if (rule.verbs.includes('impersonate')) assert.ok((rule.resourceNames ?? []).length > 0, objectKey(obj));
      }
    }
  });
});

describe('connector manifest: the activation code stays in its Secret', () => {
  const manifest = renderConnectorManifest(options({
    consoleAccess: [{ principalArn: ADMIN, scope: { kind: 'full' } }, { principalArn: BOB, scope: { kind: 'namespaces', namespaces: ['team-a'] } }],
  }));
  const encoded = encodeActivationCode(CODE);

  it('appears (encoded) only in the activation Secret, and raw nowhere', () => {
    const holders = applyOrder(manifest).filter((o) => JSON.stringify(o).includes(encoded));
    assert.deepEqual(holders.map(objectKey), ['v1/Secret/eks-connector/eks-connector-activation-config']);
    assert.equal(JSON.stringify(manifest).includes(CODE), false, 'the raw code is nowhere in the manifest');
    const yaml = manifestToYaml(applyOrder(manifest));
    assert.equal(yaml.split(encoded).length - 1, 1, 'exactly one occurrence in the full YAML');
    assert.equal(yaml.includes(CODE), false);
  });

  it('is absent from nonSecretObjects and their YAML', () => {
    const objects = nonSecretObjects(manifest);
    const yaml = manifestToYaml(objects);
    assert.equal(yaml.includes(encoded), false);
    assert.equal(yaml.includes(CODE), false);
    assert.equal(JSON.stringify(objects).includes(encoded), false);
    assert.equal(objects.some((o) => o.metadata?.name === 'eks-connector-activation-config'), false);
    // The activation id and region are not secret and stay (the StatefulSet needs them).
    assert.ok(yaml.includes(ACTIVATION_ID));
  });

  it('keeps the token Secret in nonSecretObjects but never its data', () => {
    const withData = { ...manifest, tokenSecret: { ...manifest.tokenSecret, data: { token: 'c2VjcmV0LXRva2Vu' } } };
    const token = nonSecretObjects(withData).find((o) => o.metadata?.name === 'eks-connector-token');
    assert.ok(token, 'token Secret present');
    assert.equal('data' in token, false);
    assert.equal(token.kind, 'Secret');
    assert.equal((token as { type?: string }).type, 'kubernetes.io/service-account-token');
    assert.equal(withData.tokenSecret.data.token, 'c2VjcmV0LXRva2Vu', 'the input manifest is not modified');
  });

  it('lists everything else in nonSecretObjects, in apply order', () => {
    const expected = applyOrder(manifest).filter((o) => o !== manifest.activationSecret).map(objectKey);
    assert.deepEqual(nonSecretObjects(manifest).map(objectKey), expected);
  });
});

describe('connector manifest: order, keys and YAML', () => {
  const manifest = renderConnectorManifest(options({
    consoleAccess: [{ principalArn: ADMIN, scope: { kind: 'full' } }, { principalArn: BOB, scope: { kind: 'namespaces', namespaces: ['team-a'] } }],
  }));

  it('applies in dependency order', () => {
    const kinds = applyOrder(manifest).map((o) => o.kind);
    const rank: Record<string, number> = { Namespace: 0, ServiceAccount: 1, Secret: 2, Role: 3, ClusterRole: 3, RoleBinding: 4, ClusterRoleBinding: 4, ConfigMap: 5, StatefulSet: 6 };
    const ranks = kinds.map((k) => rank[k ?? '']);
    assert.deepEqual(ranks, [...ranks].sort((a, b) => a - b), kinds.join(','));
    assert.deepEqual(applyOrder(manifest).slice(0, 4).map(objectKey), [
      'v1/Namespace//eks-connector',
      'v1/ServiceAccount/eks-connector/eks-connector',
      'v1/Secret/eks-connector/eks-connector-activation-config',
      'v1/Secret/eks-connector/eks-connector-token',
    ]);
    assert.equal(objectKey(applyOrder(manifest).at(-1) ?? {}), 'apps/v1/StatefulSet/eks-connector/eks-connector');
  });

  it('lists 18 objects, each key once', () => {
    // 10 connector objects + impersonation role/binding + full ClusterRole/binding + restricted ClusterRole/binding + Role/RoleBinding.
    const keys = applyOrder(manifest).map(objectKey);
    assert.equal(keys.length, 18);
    assert.equal(new Set(keys).size, keys.length);
  });

  it('deletes in the reverse order', () => {
    assert.deepEqual(deleteOrder(manifest).map(objectKey), applyOrder(manifest).map(objectKey).reverse());
    assert.equal(deleteOrder(manifest)[0].kind, 'StatefulSet');
    assert.equal(deleteOrder(manifest).at(-1)?.kind, 'Namespace');
  });

  it('builds keys from apiVersion, kind, namespace and name', () => {
    assert.equal(objectKey(manifest.consoleAccess.impersonationRole), 'rbac.authorization.k8s.io/v1/ClusterRole//eks-connector-service');
    assert.equal(objectKey(manifest.secretAccessRole), 'rbac.authorization.k8s.io/v1/Role/eks-connector/eks-connector-secret-access');
    assert.equal(objectKey({}), '///');
  });

  it('round-trips through YAML object by object', () => {
    const objects = applyOrder(manifest);
    const yaml = manifestToYaml(objects);
    assert.equal(yaml.match(/^---$/gm)?.length, objects.length);
    assert.doesNotMatch(yaml, /[&*]ref_|!!/, 'no anchors, aliases or tags');
    const parsed = loadAllYaml(yaml) as KubernetesObject[];
    assert.equal(parsed.length, objects.length);
    assert.deepEqual(parsed.map(plain), objects.map(plain));
  });

  it('writes readable YAML: apiVersion, kind, metadata first; long strings unfolded', () => {
    const yaml = manifestToYaml([manifest.agentConfig, manifest.statefulSet]);
    assert.ok(yaml.startsWith('---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: eks-connector-agent\n  namespace: eks-connector\n'), yaml.slice(0, 120));
    assert.ok(yaml.includes('<format id="error" format="%Date %Time %LEVEL [%FuncShort @ %File.%Line] %Msg%n"/>'));
    assert.match(yaml, /- '--activation\.code=\$\(EKS_ACTIVATION_CODE\)'/);
    assert.equal(manifestToYaml([]), '');
  });
});

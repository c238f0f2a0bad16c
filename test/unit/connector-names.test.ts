import assert from 'node:assert/strict';
import {
  CONNECTOR_PROVIDERS, managedObjectMeta, suggestClusterName, validateClusterName, validateProvider, validateTags,
} from '../../src/core/connector/names';
import { failure, success } from '../support/validation';


describe('connector names: cluster name', () => {
  it('accepts names that match ^[0-9A-Za-z][A-Za-z0-9\\-_]*$ and 1–100 characters', () => {
    for (const name of ['a', '0', 'my-cluster', 'My_Cluster-01', '9lives', 'a'.repeat(100)]) {
      assert.equal(success(validateClusterName(name)), name);
    }
  });

  it('ignores surrounding blanks', () => {
    assert.equal(success(validateClusterName('  prod-eu  ')), 'prod-eu');
  });

  it('refuses an empty name', () => {
    assert.match(failure(validateClusterName('   ')).message, /Enter a cluster name/);
  });

  it('refuses a name that does not start with a letter or digit and says what it starts with', () => {
    const result = failure(validateClusterName('-dev'));
    assert.match(result.message, /must start with a letter or digit, but it starts with '-'/);
    assert.equal(result.hint, 'Try "dev".');
    assert.match(failure(validateClusterName('_x')).message, /starts with '_'/);
  });

  it('names the first bad character and its position', () => {
    assert.match(failure(validateClusterName('my.cluster')).message, /^'\.' at position 3 is not allowed: use only letters, digits, "-" and "_"\.$/);
    assert.match(failure(validateClusterName('ab cd')).message, /^A space at position 3/);
    // Positions count characters as the user sees them, not UTF-16 units.
    assert.match(failure(validateClusterName('ab😀c!')).message, /'😀' at position 3/);
    assert.equal(failure(validateClusterName('my.cluster')).hint, 'Try "my-cluster".');
  });

  it('refuses more than 100 characters and says how long it is', () => {
    const result = failure(validateClusterName('a'.repeat(101)));
    assert.equal(result.message, 'The name is 101 characters long; EKS allows at most 100.');
    assert.equal(result.hint, `Try "${'a'.repeat(100)}".`);
  });
});

describe('connector names: suggestions from kubeconfig contexts', () => {
  const cases: Array<[string, string]> = [
    ['arn:aws:eks:us-west-2:123456789012:cluster/prod', 'prod'],
    ['arn:aws-cn:eks:cn-north-1:123456789012:cluster/data_lake', 'data_lake'],
    ['gke_my-project_europe-west1-b_web-cluster', 'web-cluster'],
    ['user@cluster.example.com', 'cluster'],
    ['admin@dev.us-east-1.eksctl.io', 'dev'],
    ['k3d-dev', 'k3d-dev'],
    ['kind-kind', 'kind-kind'],
    ['minikube', 'minikube'],
    ['default/api-ocp4-example-com:6443/kube:admin', 'ocp4-example-com'],
    ['--weird..name!!', 'weird-name'],
    ['rancher desktop', 'rancher-desktop'],
    ['', 'connected-cluster'],
    ['@@@', 'connected-cluster'],
    ['user@', 'user'],
    ['é', 'e'],
    ['ünïcode', 'unicode'],
    ['kind-Müller-café', 'kind-Muller-cafe'],
    ['日本', 'connected-cluster'],
  ];
  for (const [context, expected] of cases) {
    it(`turns "${context}" into "${expected}"`, () => {
      const suggestion = suggestClusterName(context);
      assert.equal(suggestion, expected);
      assert.equal(validateClusterName(suggestion).ok, true, 'the suggestion is itself valid');
    });
  }

  it('truncates to 100 characters without ending on a separator', () => {
    const suggestion = suggestClusterName(`${'a'.repeat(99)}-bbbb`);
    assert.equal(suggestion, 'a'.repeat(99));
    assert.equal(suggestClusterName('x'.repeat(250)).length, 100);
  });
});

describe('connector names: provider', () => {
  it('lists exactly the RegisterCluster enum, in order, with labels', () => {
    assert.deepEqual(CONNECTOR_PROVIDERS.map((p) => p.value), ['EKS_ANYWHERE', 'ANTHOS', 'GKE', 'AKS', 'OPENSHIFT', 'TANZU', 'RANCHER', 'EC2', 'OTHER']);
    for (const provider of CONNECTOR_PROVIDERS) assert.ok(provider.label.length > 1, provider.value);
  });

  it('accepts case, "-", "_" and space variants and labels', () => {
    const cases: Array<[string, string]> = [
      ['EKS_ANYWHERE', 'EKS_ANYWHERE'], ['eks-anywhere', 'EKS_ANYWHERE'], ['Eks Anywhere', 'EKS_ANYWHERE'], ['eksanywhere', 'EKS_ANYWHERE'],
      ['Amazon EKS Anywhere', 'EKS_ANYWHERE'], [' gke ', 'GKE'], ['aks', 'AKS'], ['OpenShift', 'OPENSHIFT'], ['red hat openshift', 'OPENSHIFT'],
      ['tanzu', 'TANZU'], ['Rancher', 'RANCHER'], ['ec2', 'EC2'], ['other', 'OTHER'], ['anthos', 'ANTHOS'],
    ];
    for (const [input, expected] of cases) assert.equal(success(validateProvider(input)), expected, input);
  });

  it('suggests the provider a near miss meant', () => {
    const typo = failure(validateProvider('openshfit'));
    assert.equal(typo.message, '"openshfit" is not a provider EKS accepts.');
    assert.match(typo.hint ?? '', /^Did you mean OPENSHIFT\?/);
    assert.match(failure(validateProvider('EKS')).hint ?? '', /^Did you mean EKS_ANYWHERE\?/);
    assert.match(failure(validateProvider('rancer')).hint ?? '', /^Did you mean RANCHER\?/);
    assert.match(failure(validateProvider('tanzoo')).hint ?? '', /^Did you mean TANZU\?/);
  });

  it('lists the choices when nothing is close', () => {
    const result = failure(validateProvider('mesos'));
    assert.match(result.hint ?? '', /Use one of: EKS_ANYWHERE, ANTHOS, GKE, AKS, OPENSHIFT, TANZU, RANCHER, EC2, OTHER/);
    assert.match(failure(validateProvider('')).message, /Choose a provider/);
  });
});

describe('connector names: tags', () => {
  it('accepts up to 50 tags with 128-character keys and 256-character values (empty values too)', () => {
    const tags = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`key-${i}`, i === 0 ? '' : 'v'.repeat(256)]));
    tags['k'.repeat(128)] = 'x';
    delete tags['key-49'];
    assert.deepEqual(success(validateTags(tags)), tags);
  });

  it('treats an empty map as "send no tags"', () => {
    assert.equal(success(validateTags({})), undefined);
  });

  it('refuses more than 50 tags', () => {
    const tags = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    const result = failure(validateTags(tags));
    assert.equal(result.message, 'There are 51 tags; EKS allows at most 50.');
    assert.equal(result.hint, 'Remove 1 of them.');
  });

  it('refuses empty keys, long keys, long values and the reserved aws: prefix', () => {
    assert.match(failure(validateTags({ '': 'v' })).message, /A tag key is empty/);
    assert.match(failure(validateTags({ ['k'.repeat(129)]: 'v' })).message, /is 129 characters long; the limit is 128/);
    assert.match(failure(validateTags({ team: 'v'.repeat(257) })).message, /^The value of tag "team" is 257 characters long; the limit is 256\.$/);
    assert.match(failure(validateTags({ 'aws:cloudformation:stack': 'x' })).message, /reserves/);
    assert.match(failure(validateTags({ 'AWS:Owner': 'x' })).message, /reserves/);
  });
});

describe('connector names: object metadata', () => {
  it('labels every object as managed by the extension and records the registration', () => {
    const meta = managedObjectMeta('x', { clusterName: 'demo', region: 'eu-west-1' }, 'ns', { labels: { app: 'a' }, annotations: { note: 'n' } });
    assert.deepEqual(meta, {
      name: 'x',
      namespace: 'ns',
      labels: { app: 'a', 'app.kubernetes.io/managed-by': 'eks-connector-vscode', 'app.kubernetes.io/part-of': 'eks-connector' },
      annotations: { note: 'n', 'eks-connector-vscode/cluster': 'eu-west-1/demo' },
    });
    assert.equal('namespace' in managedObjectMeta('y', { clusterName: 'c', region: 'us-east-1' }), false, 'cluster-scoped objects have no namespace key');
  });
});

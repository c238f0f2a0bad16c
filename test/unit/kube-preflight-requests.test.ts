// RBAC rule matching for the pre-flight's rules reviews (pure logic). How the pre-flight and KubeCluster use the API
// server (which reviews, connections, credential plugins) is tested against the real one in
// test/kube/core-preflight-requests.test.ts.
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { rulesGrant, type AccessReview, type AccessRules } from '../../src/core/kube/kubeCluster';

const CONSOLE_USER = 'arn:aws:iam::123456789012:role/Admin';
const EVERYTHING: Pick<AccessRules, 'resourceRules' | 'nonResourceRules'> = {
  resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
  nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
};

describe('rulesGrant: RBAC rule matching', function () {
  const rules = (resourceRules: k8s.V1ResourceRule[], nonResourceRules: k8s.V1NonResourceRule[] = []) => ({ resourceRules, nonResourceRules });
  const create = (resource: string, group = ''): AccessReview => ({ verb: 'create', group, resource, namespace: 'ns' });

  it('grants by wildcard or exact verb, group and resource, and nothing across groups', function () {
    assert.ok(rulesGrant(EVERYTHING, create('secrets')));
    assert.ok(rulesGrant(EVERYTHING, { verb: 'get', nonResourceURL: '/version' }));
    const secrets = rules([{ verbs: ['create', 'patch'], apiGroups: [''], resources: ['secrets'] }]);
    assert.ok(rulesGrant(secrets, create('secrets')));
    assert.ok(!rulesGrant(secrets, { ...create('secrets'), verb: 'delete' }));
    assert.ok(!rulesGrant(secrets, create('secrets', 'apps')));
    assert.ok(!rulesGrant(secrets, create('configmaps')));
    assert.ok(!rulesGrant(rules([{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]), { verb: 'get', nonResourceURL: '/version' }), 'resource rules grant no URL');
  });

  it('limits rules with resourceNames to requests for those names: never a create, which has no name', function () {
    const named = rules([{ verbs: ['*'], apiGroups: [''], resources: ['users'], resourceNames: [CONSOLE_USER] }]);
    assert.ok(rulesGrant(named, { verb: 'impersonate', group: '', resource: 'users', name: CONSOLE_USER }));
    assert.ok(!rulesGrant(named, { verb: 'impersonate', group: '', resource: 'users', name: 'someone-else' }));
    assert.ok(!rulesGrant(named, { verb: 'impersonate', group: '', resource: 'users' }));
    assert.ok(!rulesGrant(named, { verb: 'create', group: '', resource: 'users' }));
  });

  it('tells subresources from their resource, and matches */subresource', function () {
    const logs = rules([{ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }, { verbs: ['patch'], apiGroups: ['apps'], resources: ['*/scale'] }]);
    assert.ok(rulesGrant(logs, { verb: 'get', group: '', resource: 'pods', subresource: 'log' }));
    assert.ok(!rulesGrant(logs, { verb: 'get', group: '', resource: 'pods' }));
    assert.ok(rulesGrant(logs, { verb: 'patch', group: 'apps', resource: 'deployments', subresource: 'scale' }));
    assert.ok(!rulesGrant(logs, { verb: 'patch', group: 'apps', resource: 'deployments' }));
    assert.ok(!rulesGrant(rules([{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]), { verb: 'get', group: '', resource: 'pods', subresource: 'log' }));
  });

  it('matches non-resource URLs exactly or by a trailing *', function () {
    const urls = rules([], [{ verbs: ['get'], nonResourceURLs: ['/version', '/apis/*'] }]);
    assert.ok(rulesGrant(urls, { verb: 'get', nonResourceURL: '/version' }));
    assert.ok(rulesGrant(urls, { verb: 'get', nonResourceURL: '/apis/apps' }));
    assert.ok(!rulesGrant(urls, { verb: 'get', nonResourceURL: '/version/x' }));
    assert.ok(!rulesGrant(urls, { verb: 'post', nonResourceURL: '/version' }));
  });
});

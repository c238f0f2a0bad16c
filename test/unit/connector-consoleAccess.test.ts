import assert from 'node:assert/strict';
import type { KubernetesObject, V1ClusterRoleBinding, V1RoleBinding } from '@kubernetes/client-node';
import {
  ConsoleAccessError, consoleAccessObjects, fullAccessBindingName, grantsFromObjects,
  principalNameSuffix, renderConsoleAccess, restrictedAccessBindingName, validateNamespaceName,
  type ConsoleAccessGrant,
} from '../../src/core/connector/consoleAccess';
import { objectKey } from '../../src/core/connector/manifest';

const TARGET = { clusterName: 'demo', region: 'eu-west-1' };
const ADMIN = 'arn:aws:iam::123456789012:role/Admin';
const BOB = 'arn:aws:iam::123456789012:user/bob';
const SSO = 'arn:aws:iam::123456789012:role/AWSReservedSSO_ReadOnly_0123456789abcdef';
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));
const full = (principalArn: string): ConsoleAccessGrant => ({ principalArn, scope: { kind: 'full' } });
const restricted = (principalArn: string, namespaces: string[]): ConsoleAccessGrant => ({ principalArn, scope: { kind: 'namespaces', namespaces } });
const READ = ['get', 'list'];

describe('connector console access: full access', () => {
  const access = renderConsoleAccess([full(ADMIN), full(SSO)], TARGET);

  it('renders the full-access ClusterRole with get/list on the console\'s resources', () => {
    assert.equal(access.roles.length, 1);
    const role = access.roles[0];
    assert.equal(role.kind, 'ClusterRole');
    assert.equal(role.metadata?.name, 'eks-connector-console-dashboard-full-access-clusterrole');
    assert.deepEqual(plain(role.rules), [
      { apiGroups: [''], resources: ['nodes', 'namespaces', 'pods', 'events'], verbs: READ },
      { apiGroups: ['apps'], resources: ['deployments', 'daemonsets', 'statefulsets', 'replicasets'], verbs: READ },
      { apiGroups: ['batch'], resources: ['jobs'], verbs: READ },
    ]);
    for (const rule of role.rules ?? []) assert.doesNotMatch(rule.verbs.join(), /create|update|patch|delete|\*/);
  });

  it('binds each ARN with its own ClusterRoleBinding, named after a hash of the ARN', () => {
    assert.equal(access.bindings.length, 2);
    const [adminBinding, ssoBinding] = access.bindings as V1ClusterRoleBinding[];
    assert.equal(adminBinding.kind, 'ClusterRoleBinding');
    assert.equal(adminBinding.metadata?.name, fullAccessBindingName(ADMIN));
    assert.match(adminBinding.metadata?.name ?? '', /^eks-connector-console-dashboard-full-access-[0-9a-f]{16}$/);
    assert.deepEqual(plain(adminBinding.subjects), [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: ADMIN }]);
    assert.deepEqual(plain(adminBinding.roleRef), { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'eks-connector-console-dashboard-full-access-clusterrole' });
    assert.deepEqual(plain(ssoBinding.subjects), [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: SSO }]);
    assert.notEqual(adminBinding.metadata?.name, ssoBinding.metadata?.name);
  });

  it('derives names deterministically: same ARN same name, different ARN different name', () => {
    assert.equal(principalNameSuffix(ADMIN), principalNameSuffix(ADMIN));
    assert.equal(principalNameSuffix(ADMIN), '1170598fd2ae284b', 'stable across releases, or existing bindings would be orphaned');
    assert.notEqual(principalNameSuffix(ADMIN), principalNameSuffix(`${ADMIN}2`));
    assert.equal(fullAccessBindingName(ADMIN).length <= 63, true);
  });

  it('lists exactly the granted ARNs in the impersonation rule', () => {
    assert.deepEqual(access.impersonationRole.rules?.[0].resourceNames, [ADMIN, SSO]);
  });

  it('labels and annotates every object', () => {
    for (const obj of consoleAccessObjects(access)) {
      assert.equal(obj.metadata?.labels?.['app.kubernetes.io/managed-by'], 'eks-connector-vscode', objectKey(obj));
      assert.equal(obj.metadata?.labels?.['app.kubernetes.io/part-of'], 'eks-connector', objectKey(obj));
      assert.equal(obj.metadata?.annotations?.['eks-connector-vscode/cluster'], 'eu-west-1/demo', objectKey(obj));
    }
  });
});

describe('connector console access: restricted access', () => {
  const access = renderConsoleAccess([restricted(BOB, ['team-b', 'team-a', 'team-a'])], TARGET);
  const objects = consoleAccessObjects(access);
  const find = (kind: string, name: string, namespace?: string) => {
    const found = objects.find((o) => o.kind === kind && o.metadata?.name === name && o.metadata?.namespace === namespace);
    assert.ok(found, `${kind} ${namespace ?? ''}/${name}`);
    return found;
  };

  it('lets the principal list nodes and namespaces cluster-wide, and nothing else there', () => {
    const clusterRole = find('ClusterRole', 'eks-connector-console-dashboard-restricted-access-clusterrole') as { rules?: unknown };
    assert.deepEqual(plain(clusterRole.rules), [{ apiGroups: [''], resources: ['nodes', 'namespaces'], verbs: READ }]);
    const binding = find('ClusterRoleBinding', restrictedAccessBindingName(BOB)) as V1ClusterRoleBinding;
    assert.deepEqual(plain(binding.subjects), [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: BOB }]);
    assert.equal(binding.roleRef.name, 'eks-connector-console-dashboard-restricted-access-clusterrole');
    assert.equal(objects.some((o) => o.metadata?.name === 'eks-connector-console-dashboard-full-access-clusterrole'), false, 'no full access role when nobody has full access');
  });

  it('adds a read-only Role and a RoleBinding in each chosen namespace (deduplicated, sorted)', () => {
    assert.deepEqual(access.grants, [restricted(BOB, ['team-a', 'team-b'])]);
    for (const namespace of ['team-a', 'team-b']) {
      const role = find('Role', 'eks-connector-console-dashboard-restricted-access-role', namespace) as { rules?: unknown };
      assert.deepEqual(plain(role.rules), [
        { apiGroups: [''], resources: ['pods', 'events', 'services'], verbs: READ },
        { apiGroups: ['apps'], resources: ['deployments', 'daemonsets', 'statefulsets', 'replicasets'], verbs: READ },
        { apiGroups: ['batch'], resources: ['jobs'], verbs: READ },
      ]);
      assert.doesNotMatch(JSON.stringify(role.rules), /secrets|configmaps/);
      const binding = find('RoleBinding', restrictedAccessBindingName(BOB), namespace) as V1RoleBinding;
      assert.deepEqual(plain(binding.subjects), [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: BOB }]);
      assert.deepEqual(plain(binding.roleRef), { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'eks-connector-console-dashboard-restricted-access-role' });
    }
    assert.equal(objects.filter((o) => o.kind === 'Role').length, 2);
    assert.equal(objects.filter((o) => o.kind === 'RoleBinding').length, 2);
  });

  it('shares one Role per namespace between principals', () => {
    const shared = renderConsoleAccess([restricted(BOB, ['team-a']), restricted(SSO, ['team-a', 'ops'])], TARGET);
    const roles = shared.roles.filter((r) => r.kind === 'Role').map((r) => r.metadata?.namespace);
    assert.deepEqual(roles, ['ops', 'team-a']);
    assert.equal(shared.bindings.filter((b) => b.kind === 'RoleBinding').length, 3);
  });

  it('checks namespace names', () => {
    assert.deepEqual(validateNamespaceName(' team-a '), { ok: true, value: 'team-a' });
    assert.deepEqual(validateNamespaceName('Team-A'), {
      ok: false,
      message: '"Team-A" is not a namespace name: use lowercase letters, digits and "-", starting and ending with a letter or digit.',
      hint: 'Did you mean "team-a"?',
    });
    assert.equal(validateNamespaceName('-x').ok, false);
    assert.equal(validateNamespaceName('a'.repeat(64)).ok, false);
    assert.equal(validateNamespaceName('').ok, false);
    assert.throws(() => renderConsoleAccess([restricted(BOB, ['bad_ns'])], TARGET), /"bad_ns" is not a namespace name/);
    assert.throws(() => renderConsoleAccess([restricted(BOB, [])], TARGET), /Choose at least one namespace for arn:aws:iam::123456789012:user\/bob/);
  });
});

describe('connector console access: refusals', () => {
  it('refuses an empty grant list', () => {
    assert.throws(() => renderConsoleAccess([], TARGET), (error: Error) => error instanceof ConsoleAccessError && /at least one IAM principal/.test(error.message));
  });

  it('refuses ARNs that are not canonical, and says which one to use', () => {
    assert.throws(
      () => renderConsoleAccess([full('arn:aws:sts::123456789012:assumed-role/Admin/alice')], TARGET),
      /not in canonical form; grant access to arn:aws:iam::123456789012:role\/Admin/,
    );
    assert.throws(() => renderConsoleAccess([full('bob')], TARGET), /Cannot grant console access to "bob": "bob" is not an ARN/);
  });

  it('refuses a principal listed twice', () => {
    assert.throws(() => renderConsoleAccess([full(ADMIN), restricted(ADMIN, ['a'])], TARGET), /listed twice/);
  });
});

describe('connector console access: reading grants back from objects', () => {
  it('recovers the grants rendered, so grant/revoke can start from a live cluster', () => {
    const grants = [full(ADMIN), restricted(BOB, ['team-a', 'team-b'])];
    const objects: KubernetesObject[] = consoleAccessObjects(renderConsoleAccess(grants, TARGET));
    assert.deepEqual(grantsFromObjects(objects), { grants, impersonationOnly: [] });
  });

  it('reports principals that can be impersonated but have no binding it recognises', () => {
    const access = renderConsoleAccess([full(ADMIN), full(BOB)], TARGET);
    const withoutBobBinding = consoleAccessObjects(access).filter((o) => o.metadata?.name !== fullAccessBindingName(BOB));
    assert.deepEqual(grantsFromObjects(withoutBobBinding), { grants: [full(ADMIN)], impersonationOnly: [BOB] });
    assert.deepEqual(grantsFromObjects([]), { grants: [], impersonationOnly: [] });
  });
});

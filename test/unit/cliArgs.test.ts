import assert from 'node:assert/strict';
import { parseCli } from '../../src/cli/args';

describe('CLI arguments', () => {
  it('parses a full register command', () => {
    const r = parseCli(['register', '--context', 'kind-dev', '--region', 'us-west-2', '--name', 'dev', '--provider', 'rancher', '--role-arn', 'arn:aws:iam::1:role/R', '--grant', 'arn:aws:iam::1:user/a', '--grant', 'arn:aws:iam::1:user/b', '--no-wait', '--json', '--yes']);
    assert.ok(r.ok);
    assert.equal(r.command.kind, 'register');
    if (r.command.kind !== 'register') return;
    assert.deepEqual(r.command.grants, ['arn:aws:iam::1:user/a', 'arn:aws:iam::1:user/b']);
    assert.equal(r.command.wait, false);
    assert.equal(r.command.json, true);
    assert.equal(r.command.provider, 'rancher');
  });

  it('takes image overrides and the node placement for register', () => {
    const r = parseCli(['register', '--region', 'us-west-2', '--name', 'dev', '--provider', 'OTHER', '--create-role', 'R',
      '--connector-image', 'mirror.example.com/eks/eks-connector:0.0.11', '--ssm-agent-image', 'mirror.example.com/ssm/amazon-ssm-agent:3.2.2303.0', '--no-node-selector']);
    assert.ok(r.ok && r.command.kind === 'register');
    assert.deepEqual(r.command.images, { connector: 'mirror.example.com/eks/eks-connector:0.0.11', ssmAgent: 'mirror.example.com/ssm/amazon-ssm-agent:3.2.2303.0' });
    assert.equal(r.command.noNodeSelector, true);
    const plain = parseCli(['register', '--region', 'us-west-2', '--name', 'dev', '--provider', 'OTHER', '--create-role', 'R']);
    assert.ok(plain.ok && plain.command.kind === 'register');
    assert.deepEqual(plain.command.images, { connector: undefined, ssmAgent: undefined });
    assert.equal(plain.command.noNodeSelector, false);
  });

  it('restricts console access to --namespaces for register and grant, and refuses bad names or other commands', () => {
    const reg = parseCli(['register', '--region', 'r', '--name', 'n', '--provider', 'OTHER', '--create-role', 'R', '--namespaces', 'team-a, team-b']);
    assert.ok(reg.ok && reg.command.kind === 'register');
    assert.deepEqual(reg.command.namespaces, ['team-a', 'team-b']);
    const grant = parseCli(['grant', '--region', 'r', '--name', 'n', '--grant', 'arn:aws:iam::1:role/A', '--namespaces', 'team-a']);
    assert.ok(grant.ok && grant.command.kind === 'grant');
    assert.deepEqual(grant.command.namespaces, ['team-a']);
    const full = parseCli(['grant', '--region', 'r', '--name', 'n', '--grant', 'arn:aws:iam::1:role/A']);
    assert.ok(full.ok && full.command.kind === 'grant');
    assert.equal(full.command.namespaces, undefined);

    const bad = parseCli(['grant', '--region', 'r', '--name', 'n', '--grant', 'arn:aws:iam::1:role/A', '--namespaces', 'Team_A']);
    assert.ok(!bad.ok);
    assert.match(bad.message, /^--namespaces: "Team_A" is not a namespace name/);
    const empty = parseCli(['grant', '--region', 'r', '--name', 'n', '--grant', 'arn:aws:iam::1:role/A', '--namespaces', ',']);
    assert.ok(!empty.ok);
    assert.match(empty.message, /at least one namespace/);
    const revoke = parseCli(['revoke', '--region', 'r', '--name', 'n', '--grant', 'arn:aws:iam::1:role/A', '--namespaces', 'team-a']);
    assert.ok(!revoke.ok);
    assert.match(revoke.message, /applies to register and grant, not revoke/);
  });

  it('refuses missing required options, naming them', () => {
    const r = parseCli(['register', '--region', 'us-west-2']);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.message, /--name, --provider/);
    const both = parseCli(['register', '--region', 'r', '--name', 'n', '--provider', 'OTHER', '--role-arn', 'a', '--create-role', 'b']);
    assert.equal(both.ok, false);
  });

  it('refuses unknown commands and options', () => {
    const cmd = parseCli(['connect']);
    assert.equal(cmd.ok, false);
    if (!cmd.ok) assert.match(cmd.message, /Unknown command "connect"/);
    const opt = parseCli(['status', '--region', 'r', '--name', 'n', '--colour']);
    assert.equal(opt.ok, false);
    if (!opt.ok) assert.match(opt.message, /colour/);
  });

  it('needs a principal to grant or revoke', () => {
    const r = parseCli(['grant', '--region', 'r', '--name', 'n']);
    assert.equal(r.ok, false);
  });
});

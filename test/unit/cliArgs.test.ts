import assert from 'node:assert/strict';
import { parseCli, unlistedRegionWarning } from '../../src/cli/args';

describe('CLI arguments', () => {
  const problemsOf = (argv: string[]): string[] => {
    const r = parseCli(argv);
    assert.ok(!r.ok, `expected ${argv.join(' ')} to be refused`);
    return r.error.problems.map((p) => p.message);
  };

  it('parses a full register command, with the provider as EKS spells it', () => {
    const r = parseCli(['register', '--context', 'kind-dev', '--region', 'us-west-2', '--name', 'dev', '--provider', 'rancher', '--role-arn', 'arn:aws:iam::111122223333:role/R', '--grant', 'arn:aws:iam::111122223333:user/a', '--grant', 'arn:aws:sts::111122223333:assumed-role/Pipeline/run-1', '--no-wait', '--json', '--yes']);
    assert.ok(r.ok);
    assert.equal(r.command.kind, 'register');
    if (r.command.kind !== 'register') return;
    assert.deepEqual(r.command.grants, ['arn:aws:iam::111122223333:user/a', 'arn:aws:iam::111122223333:role/Pipeline'], 'a session ARN becomes its role');
    assert.equal(r.command.wait, false);
    assert.equal(r.command.json, true);
    assert.equal(r.command.provider, 'RANCHER');
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
    const reg = parseCli(['register', '--region', 'us-west-2', '--name', 'n', '--provider', 'OTHER', '--create-role', 'R', '--namespaces', 'team-a, team-b']);
    assert.ok(reg.ok && reg.command.kind === 'register');
    assert.deepEqual(reg.command.namespaces, ['team-a', 'team-b']);
    const grant = parseCli(['grant', '--region', 'us-west-2', '--name', 'n', '--grant', 'arn:aws:iam::111122223333:role/A', '--namespaces', 'team-a']);
    assert.ok(grant.ok && grant.command.kind === 'grant');
    assert.deepEqual(grant.command.namespaces, ['team-a']);
    const full = parseCli(['grant', '--region', 'us-west-2', '--name', 'n', '--grant', 'arn:aws:iam::111122223333:role/A']);
    assert.ok(full.ok && full.command.kind === 'grant');
    assert.equal(full.command.namespaces, undefined);

    const grantArgs = ['grant', '--region', 'us-west-2', '--name', 'n', '--grant', 'arn:aws:iam::111122223333:role/A'];
    assert.deepEqual(problemsOf([...grantArgs, '--namespaces', 'Team_A,ok,-x']), [
      '--namespaces: "Team_A" is not a namespace name: use lowercase letters, digits and "-", starting and ending with a letter or digit. Did you mean "team_a"?',
      '--namespaces: "-x" is not a namespace name: use lowercase letters, digits and "-", starting and ending with a letter or digit.',
    ]);
    assert.deepEqual(problemsOf([...grantArgs, '--namespaces', ',']), ['--namespaces ",": no namespace name in it: give at least one, e.g. --namespaces team-a,team-b.']);
    assert.deepEqual(problemsOf(['revoke', ...grantArgs.slice(1), '--namespaces', 'team-a']), ['--namespaces does not apply to revoke: it is an option of register, grant. Remove it.']);
  });

  it('reports every bad argument at once, one line each, naming the option, the value and what is valid', () => {
    const r = parseCli(['register', '--region', 'cn-north-1', '--provider', 'FOO', '--name', '-bad name!', '--context', 'nope', '--role-arn', 'arn:aws:iam::12:role/R',
      '--connector-image', 'Mirror/EKS', '--grant', 'arn:aws:iam::111122223333:group/devs']);
    assert.ok(!r.ok);
    assert.equal(r.error.summary, 'register was not run: 6 problems with the arguments; nothing was read or changed.');
    assert.deepEqual(r.error.problems.map((p) => [p.option, p.value]), [
      ['--region', 'cn-north-1'], ['--name', '-bad name!'], ['--provider', 'FOO'], ['--role-arn', 'arn:aws:iam::12:role/R'],
      ['--connector-image', 'Mirror/EKS'], ['--grant', 'arn:aws:iam::111122223333:group/devs'],
    ]);
    assert.deepEqual(r.error.problems.map((p) => p.message), [
      '--region "cn-north-1": The EKS Connector is not available in cn-north-1 (China (Beijing)): China and GovCloud regions cannot register clusters. Choose a commercial AWS region, such as us-west-2.',
      '--name "-bad name!": The name must start with a letter or digit, but it starts with \'-\'. A cluster name has 1 to 100 letters, digits, "-" and "_", and starts with a letter or digit: try "bad-name".',
      '--provider "FOO": "FOO" is not a provider EKS accepts. Use one of: EKS_ANYWHERE, ANTHOS, GKE, AKS, OPENSHIFT, TANZU, RANCHER, EC2, OTHER (OTHER for anything else).',
      '--role-arn "arn:aws:iam::12:role/R": The account ID must be 12 digits, but "12" is 2 digits.',
      '--connector-image "Mirror/EKS": "Mirror/EKS" has neither a tag nor a digest. Pin the image, for example Mirror/EKS:<version> or Mirror/EKS@sha256:<digest>.',
      '--grant "arn:aws:iam::111122223333:group/devs": An IAM group cannot open the EKS console; give the ARN of an IAM user or role.',
    ]);
    for (const p of r.error.problems) assert.doesNotMatch(p.message, /\.\.$/);
  });

  it('takes a value that starts with "-" as the value, and says which option lacks one', () => {
    assert.deepEqual(problemsOf(['status', '--region', 'us-west-2', '--name', '-x']), [
      '--name "-x": The name must start with a letter or digit, but it starts with \'-\'. A cluster name has 1 to 100 letters, digits, "-" and "_", and starts with a letter or digit: try "x".',
    ]);
    const dashed = parseCli(['status', '--region=us-west-2', '--name', 'dev', '--context', '-kind-dev']);
    assert.ok(dashed.ok && dashed.command.kind === 'status');
    assert.equal(dashed.command.context, '-kind-dev');
    assert.equal(dashed.command.region, 'us-west-2');
    assert.deepEqual(problemsOf(['status', '--name', '--region', 'us-west-2']), [
      '--name needs a value, but it is followed by the option --region: write --name <value> (or --name=<value> for a value that starts with "--").',
    ]);
    assert.deepEqual(problemsOf(['status', '--region', 'us-west-2', '--name']), [
      '--name needs a value, but it is the last argument: write --name <value> (or --name=<value> for a value that starts with "--").',
    ]);
  });

  it('refuses missing required options, one line each', () => {
    assert.deepEqual(problemsOf(['register', '--region', 'us-west-2']), [
      '--name is missing: give the cluster\'s EKS name, for example --name my-cluster. A cluster name has 1 to 100 letters, digits, "-" and "_", and starts with a letter or digit.',
      '--provider is missing: give where the cluster runs: EKS_ANYWHERE, ANTHOS, GKE, AKS, OPENSHIFT, TANZU, RANCHER, EC2 or OTHER.',
      '--role-arn or --create-role is missing: give the ARN of a connector agent role that trusts ssm.amazonaws.com (--role-arn <arn>), or a name for a new one (--create-role <name>).',
    ]);
    assert.deepEqual(problemsOf(['register', '--region', 'us-west-2', '--name', 'n', '--provider', 'OTHER', '--role-arn', 'arn:aws:iam::111122223333:role/R', '--create-role', 'b']), [
      '--role-arn and --create-role are both given: give one, either the ARN of an existing agent role or the name of a role to create.',
    ]);
    const register = ['register', '--region', 'us-west-2', '--name', 'n', '--provider', 'OTHER'];
    assert.deepEqual(problemsOf([...register, '--create-role', 'team/agent']), ['--create-role "team/agent": "team/agent" has a "/": give the role name only, without a path.']);
    assert.deepEqual(problemsOf([...register, '--create-role', 'agent role']), ['--create-role "agent role": The role name "agent role" contains " "; IAM names use only letters, digits and + = , . @ _ -.']);
    assert.deepEqual(problemsOf(['grant', '--region', 'us-west-2', '--name', 'n']), [
      '--grant is missing: grant needs at least one IAM principal ARN, for example --grant arn:aws:iam::111122223333:user/alice.',
    ]);
  });

  it('refuses unknown commands, unknown or misplaced options, stray arguments and conflicting repeats', () => {
    const cmd = parseCli(['connect']);
    assert.ok(!cmd.ok);
    assert.equal(cmd.error.summary, 'eks-connector was not run: a problem with the arguments; nothing was read or changed.');
    assert.deepEqual(cmd.error.problems.map((p) => p.message), ['Unknown command "connect": the commands are register, deregister, grant, revoke, status.']);
    assert.deepEqual(problemsOf(['status', '--region', 'us-west2', '--name', 'n', '--colour', '--provider', 'OTHER', 'extra', '--json=yes', '--name', 'm', '--region', '']), [
      'Unknown option --colour: status takes --context, --kubeconfig, --region, --name, --profile, --json.',
      '--provider does not apply to status: it is an option of register. Remove it.',
      'Unexpected argument "extra": status takes only options, each as --option value (--context, --kubeconfig, --region, --name, --profile, --json).',
      '--json takes no value, but "--json=yes" gives one: write --json alone.',
      '--name is given twice ("n" and "m"): give it once.',
      '--region is empty: give it a value.',
      '--region "us-west2": This is not an AWS region where EKS is offered. Did you mean us-west-2?',
    ]);
  });

  it('answers --help anywhere with the usage', () => {
    const r = parseCli(['register', '--region', 'cn-north-1', '--help']);
    assert.ok(r.ok && r.command.kind === 'help');
    assert.match(r.command.text, /^Usage: eks-connector <command> \[options\]/);
  });
  it('accepts a well-formed region missing from the bundled list, with a warning; refuses what is no region name', () => {
    const r = parseCli(['status', '--region', 'eu-future-9', '--name', 'dev']);
    assert.ok(r.ok, 'a region launched after this release is accepted');
    assert.equal(unlistedRegionWarning('eu-future-9'), "warning: eu-future-9 is not in this version's list of AWS regions; using it as given.");
    assert.equal(unlistedRegionWarning('us-west-2'), undefined);
    assert.equal(parseCli(['status', '--region', 'mars', '--name', 'dev']).ok, false);
  });
});

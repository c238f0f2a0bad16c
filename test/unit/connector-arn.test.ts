import assert from 'node:assert/strict';
import {
  canonicalPrincipalArn, isCanonicalPrincipalArn, parseArn, validatePrincipalArn, validateRoleArn,
} from '../../src/core/connector/arn';
import { failure, success } from '../support/validation';


describe('connector ARNs: parseArn', () => {
  it('splits an ARN into its parts, keeping ":" inside the resource', () => {
    assert.deepEqual(success(parseArn('arn:aws:eks:us-west-2:123456789012:cluster/prod')), {
      partition: 'aws', service: 'eks', region: 'us-west-2', accountId: '123456789012', resource: 'cluster/prod',
    });
    assert.equal(success(parseArn('arn:aws:logs:eu-west-1:123456789012:log-group:/aws/x:*')).resource, 'log-group:/aws/x:*');
    assert.equal(success(parseArn(' arn:aws-cn:iam::123456789012:role/x ')).partition, 'aws-cn');
  });

  it('accepts every known partition', () => {
    for (const partition of ['aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b']) {
      assert.equal(success(parseArn(`arn:${partition}:iam::123456789012:user/u`)).partition, partition);
    }
  });

  it('reports precisely what is wrong', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /^Enter an ARN\.$/],
      ['arn:aws:iam::123456789012:role/my role', /blank at position 34/],
      ['aws:iam::123456789012:role/x', /is not an ARN: an ARN starts with "arn:"/],
      ['arn:aws:iam::123456789012', /has 5 of its 6 ":"-separated parts/],
      ['arn:amazon:iam::123456789012:role/x', /"amazon" is not an AWS partition/],
      ['arn:aws:IAM::123456789012:role/x', /"IAM" is not a service name/],
      ['arn:aws::us-east-1:123456789012:x', /names no service/],
      ['arn:aws:eks:uswest2:123456789012:cluster/x', /"uswest2" is not a region code/],
      ['arn:aws:iam::12345678901:role/x', /must be 12 digits, but "12345678901" is 11 digits/],
      ['arn:aws:iam::12345678901a:role/x', /"12345678901a" is not all digits/],
      ['arn:aws:iam:::role/x', /has no account ID/],
      ['arn:aws:iam::123456789012:', /names no resource/],
    ];
    for (const [input, expected] of cases) assert.match(failure(parseArn(input)).message, expected, input);
    assert.match(failure(parseArn('arn:amazon:iam::123456789012:role/x')).hint ?? '', /aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b/);
  });
});

describe('connector ARNs: validateRoleArn (connector agent role)', () => {
  it('accepts IAM role ARNs, with or without a path, in every partition', () => {
    for (const arn of [
      'arn:aws:iam::123456789012:role/AmazonEKSConnectorAgentRole',
      'arn:aws:iam::123456789012:role/team/platform/eks-connector+agent=1,a.b@c_d-e',
      'arn:aws-us-gov:iam::123456789012:role/x',
      'arn:aws-cn:iam::123456789012:role/x',
    ]) {
      assert.equal(success(validateRoleArn(arn)), arn);
    }
    assert.equal(success(validateRoleArn(' arn:aws:iam::123456789012:role/r\n')), 'arn:aws:iam::123456789012:role/r');
  });

  it('refuses an STS session ARN and shows the role ARN to use instead', () => {
    const result = failure(validateRoleArn('arn:aws:sts::123456789012:assumed-role/Admin/alice'));
    assert.equal(result.message, 'This is an STS session ARN, not an IAM role ARN.');
    assert.equal(result.hint, 'Use the role itself: arn:aws:iam::123456789012:role/Admin');
  });

  it('refuses other services, users, regions, bad names and service-linked roles', () => {
    assert.match(failure(validateRoleArn('arn:aws:eks:us-west-2:123456789012:cluster/x')).message, /"eks" service, not an IAM role ARN/);
    assert.match(failure(validateRoleArn('arn:aws:iam::123456789012:user/bob')).message, /This is an IAM user ARN; the connector needs an IAM role ARN/);
    assert.match(failure(validateRoleArn('arn:aws:iam::123456789012:root')).message, /IAM root ARN/);
    assert.match(failure(validateRoleArn('arn:aws:iam:us-east-1:123456789012:role/x')).message, /IAM ARNs have no region/);
    assert.match(failure(validateRoleArn('arn:aws:iam::123456789012:role/')).message, /has no role name/);
    assert.match(failure(validateRoleArn(`arn:aws:iam::123456789012:role/${'r'.repeat(65)}`)).message, /65 characters long; IAM allows at most 64/);
    assert.match(failure(validateRoleArn('arn:aws:iam::123456789012:role/bad#name')).message, /contains "#"/);
    assert.match(failure(validateRoleArn('arn:aws:iam::123456789012:role/a//b')).message, /empty segment/);
    const slr = failure(validateRoleArn('arn:aws:iam::123456789012:role/aws-service-role/eks-connector.amazonaws.com/AWSServiceRoleForAmazonEKSConnector'));
    assert.match(slr.message, /"AWSServiceRoleForAmazonEKSConnector" is a service-linked role/);
  });
});

describe('connector ARNs: canonical principal', () => {
  const table: Array<[string, string, string]> = [
    ['IAM user', 'arn:aws:iam::123456789012:user/alice', 'arn:aws:iam::123456789012:user/alice'],
    ['IAM user with path', 'arn:aws:iam::123456789012:user/division/alice', 'arn:aws:iam::123456789012:user/division/alice'],
    ['IAM role', 'arn:aws:iam::123456789012:role/Admin', 'arn:aws:iam::123456789012:role/Admin'],
    ['assumed role', 'arn:aws:sts::123456789012:assumed-role/Admin/alice@example.com', 'arn:aws:iam::123456789012:role/Admin'],
    [
      'SSO assumed role',
      'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/alice',
      'arn:aws:iam::123456789012:role/AWSReservedSSO_AdministratorAccess_0123456789abcdef',
    ],
    [
      'SSO role with path',
      'arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ReadOnly_fedcba9876543210',
      'arn:aws:iam::123456789012:role/AWSReservedSSO_ReadOnly_fedcba9876543210',
    ],
    [
      'SSO role with regional path',
      'arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Dev_00aa',
      'arn:aws:iam::123456789012:role/AWSReservedSSO_Dev_00aa',
    ],
    ['SSO role already without path', 'arn:aws:iam::123456789012:role/AWSReservedSSO_Dev_00aa', 'arn:aws:iam::123456789012:role/AWSReservedSSO_Dev_00aa'],
    ['federated user', 'arn:aws:sts::123456789012:federated-user/bob', 'arn:aws:sts::123456789012:federated-user/bob'],
    ['root', 'arn:aws:iam::123456789012:root', 'arn:aws:iam::123456789012:root'],
    ['GovCloud assumed role', 'arn:aws-us-gov:sts::123456789012:assumed-role/Ops/s1', 'arn:aws-us-gov:iam::123456789012:role/Ops'],
    ['China assumed role', 'arn:aws-cn:sts::123456789012:assumed-role/Ops/s1', 'arn:aws-cn:iam::123456789012:role/Ops'],
    [
      'China SSO role with path',
      'arn:aws-cn:iam::123456789012:role/aws-reserved/sso.amazonaws.com/cn-north-1/AWSReservedSSO_Ops_1234',
      'arn:aws-cn:iam::123456789012:role/AWSReservedSSO_Ops_1234',
    ],
    ['GovCloud user', 'arn:aws-us-gov:iam::123456789012:user/u', 'arn:aws-us-gov:iam::123456789012:user/u'],
  ];
  for (const [what, input, expected] of table) {
    it(`${what}: ${input}`, () => {
      assert.equal(canonicalPrincipalArn(input), expected);
      assert.equal(success(validatePrincipalArn(input)), expected);
      assert.equal(isCanonicalPrincipalArn(expected), true);
      assert.equal(canonicalPrincipalArn(expected), expected, 'canonicalisation is idempotent');
    });
  }

  it('keeps the path of a role that is not an SSO role (roles are kept as they are)', () => {
    assert.equal(canonicalPrincipalArn('arn:aws:iam::123456789012:role/team/Admin'), 'arn:aws:iam::123456789012:role/team/Admin');
  });

  it('marks session ARNs as not canonical', () => {
    assert.equal(isCanonicalPrincipalArn('arn:aws:sts::123456789012:assumed-role/Admin/alice'), false);
    assert.equal(isCanonicalPrincipalArn('arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_X_1'), false);
    assert.equal(isCanonicalPrincipalArn('not an arn'), false);
  });

  it('refuses malformed or unsupported input with the reason', () => {
    const cases: Array<[string, RegExp]> = [
      ['alice', /is not an ARN/],
      ['arn:aws:sts::123456789012:assumed-role/Admin', /assumed-role\/<role name>\/<session name>/],
      ['arn:aws:sts::123456789012:assumed-role/path/Admin/alice', /assumed-role\/<role name>\/<session name>/],
      ['arn:aws:sts::123456789012:assumed-role//alice', /assumed-role\/<role name>\/<session name>/],
      ['arn:aws:sts::123456789012:federated-user/', /federated-user\/<name>/],
      ['arn:aws:sts::123456789012:session/x', /"session" is not an STS identity/],
      ['arn:aws:iam::123456789012:group/admins', /An IAM group cannot open the EKS console/],
      ['arn:aws:iam::123456789012:policy/p', /An IAM policy cannot open the EKS console/],
      ['arn:aws:eks:us-west-2:123456789012:cluster/x', /"eks" service; console access is granted to IAM users and roles/],
      ['arn:aws:iam:us-west-2:123456789012:user/u', /IAM identity ARNs have no region/],
      ['arn:aws:iam::123456789012:user/bad*name', /contains "\*"/],
      ['arn:aws:iam::1234:user/u', /must be 12 digits/],
    ];
    for (const [input, expected] of cases) {
      assert.match(failure(validatePrincipalArn(input)).message, expected, input);
      assert.throws(() => canonicalPrincipalArn(input), expected, input);
    }
  });
});

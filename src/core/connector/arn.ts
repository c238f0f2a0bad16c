// ARNs the extension takes from users or from sts:GetCallerIdentity: the connector agent role for RegisterCluster,
// and IAM principals that get console access. A principal's canonical ARN is the exact Kubernetes user name the
// connector impersonates, so it must match what the EKS console sends, character for character.
import type { ValidationResult } from './names';

export const ARN_PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b'] as const;
export type ArnPartition = (typeof ARN_PARTITIONS)[number];

export interface ParsedArn {
  readonly partition: ArnPartition;
  readonly service: string;
  /** Empty for global services such as IAM and STS. */
  readonly region: string;
  readonly accountId: string;
  /** Everything after the fifth `:`, e.g. `role/path/name` (may itself contain `:`). */
  readonly resource: string;
}

const ARN_SHAPE = 'arn:<partition>:<service>:<region>:<account>:<resource>';
const SERVICE_PATTERN = /^[a-z0-9][a-z0-9-]*$/;
const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const ACCOUNT_PATTERN = /^\d{12}$/;
// IAM user and role names: 1–64 of letters, digits and + = , . @ _ -
const IAM_NAME_PATTERN = /^[\w+=,.@-]+$/;
const IAM_NAME_MAX_LENGTH = 64;
// IAM paths: printable ASCII except `/` inside a segment, at most 512 characters including slashes.
const IAM_PATH_SEGMENT_PATTERN = /^[\x21-\x2E\x30-\x7E]+$/;
const IAM_PATH_MAX_LENGTH = 512;
/** Roles IAM Identity Center creates; the console names them without their `/aws-reserved/sso.amazonaws.com/...` path. */
const SSO_ROLE_PREFIX = 'AWSReservedSSO_';

const fail = (message: string, hint?: string): { ok: false; message: string; hint?: string } =>
  hint === undefined ? { ok: false, message } : { ok: false, message, hint };

/** Splits and checks an ARN; surrounding blanks are ignored, anything else wrong is reported precisely. */
export function parseArn(text: string): ValidationResult<ParsedArn> {
  const arn = text.trim();
  if (arn.length === 0) return fail('Enter an ARN.', `An ARN looks like ${ARN_SHAPE}.`);
  const blank = arn.search(/\s/);
  if (blank >= 0) return fail(`The ARN contains a blank at position ${blank + 1}; ARNs have no spaces or line breaks.`);
  if (!arn.startsWith('arn:')) return fail(`"${arn}" is not an ARN: an ARN starts with "arn:".`, `Expected ${ARN_SHAPE}.`);
  const parts = arn.split(':');
  if (parts.length < 6) {
    return fail(`The ARN has ${parts.length} of its 6 ":"-separated parts.`, `Expected ${ARN_SHAPE}.`);
  }
  const [, partition, service, region, accountId] = parts;
  const resource = parts.slice(5).join(':');
  if (!isPartition(partition)) {
    return fail(`"${partition}" is not an AWS partition.`, `Use one of: ${ARN_PARTITIONS.join(', ')}.`);
  }
  if (!SERVICE_PATTERN.test(service)) {
    return fail(service === '' ? 'The ARN names no service (its third part is empty).' : `"${service}" is not a service name: use lowercase letters, digits and "-".`);
  }
  if (region !== '' && !REGION_PATTERN.test(region)) return fail(`"${region}" is not a region code such as us-west-2.`);
  if (!ACCOUNT_PATTERN.test(accountId)) {
    return fail(
      accountId === '' ? 'The ARN has no account ID (its fifth part is empty).' : `The account ID must be 12 digits, but "${accountId}" is ${describeAccount(accountId)}.`,
    );
  }
  if (resource === '') return fail('The ARN names no resource (nothing after the account ID).');
  return { ok: true, value: { partition, service, region, accountId, resource } };
}

const isPartition = (value: string): value is ArnPartition => (ARN_PARTITIONS as readonly string[]).includes(value);
const describeAccount = (value: string): string => (/^\d+$/.test(value) ? `${value.length} digits` : 'not all digits');

// ---------------------------------------------------------------------------------------------------------------

/** Checks the `user/...` or `role/...` part of an IAM ARN: optional path, then a valid name. */
function checkIamPathAndName(kind: 'user' | 'role', rest: string): ValidationResult<{ path: string[]; name: string }> {
  const segments = rest.split('/');
  const name = segments[segments.length - 1];
  const path = segments.slice(0, -1);
  if (name === '') return fail(`The ${kind} ARN has no ${kind} name after "${kind}/${path.map((p) => `${p}/`).join('')}".`);
  if (name.length > IAM_NAME_MAX_LENGTH) return fail(`The ${kind} name "${name}" is ${name.length} characters long; IAM allows at most ${IAM_NAME_MAX_LENGTH}.`);
  const badChar = Array.from(name).find((c) => !IAM_NAME_PATTERN.test(c));
  if (badChar !== undefined) {
    return fail(`The ${kind} name "${name}" contains "${badChar}"; IAM names use only letters, digits and + = , . @ _ -.`);
  }
  if (path.some((segment) => segment === '')) return fail(`The ${kind} path "/${path.join('/')}/" has an empty segment ("//").`);
  const badSegment = path.find((segment) => !IAM_PATH_SEGMENT_PATTERN.test(segment));
  if (badSegment !== undefined) return fail(`The ${kind} path segment "${badSegment}" contains a character IAM paths cannot have.`);
  if (rest.length - name.length + 1 > IAM_PATH_MAX_LENGTH) return fail(`The ${kind} path is longer than IAM's ${IAM_PATH_MAX_LENGTH} characters.`);
  return { ok: true, value: { path, name } };
}

/** A name for a new IAM role (`--create-role`): 1–64 letters, digits and + = , . @ _ -, no path. */
export function validateRoleName(text: string): ValidationResult {
  const name = text.trim();
  if (name === '') return fail('Enter a role name.', 'For example AmazonEKSConnectorAgentRole.');
  if (name.includes('/')) return fail(`"${name}" has a "/": give the role name only, without a path.`);
  const checked = checkIamPathAndName('role', name);
  return checked.ok ? { ok: true, value: name } : checked;
}

/** Extra guidance when someone pastes the wrong kind of identity ARN. */
function notIamHint(parsed: ParsedArn): string | undefined {
  const assumed = /^assumed-role\/([^/]+)\/[^/]+$/.exec(parsed.resource);
  if (parsed.service === 'sts' && assumed) {
    return `Use the role itself: arn:${parsed.partition}:iam::${parsed.accountId}:role/${assumed[1]}`;
  }
  return undefined;
}

/**
 * The connector agent role ARN for RegisterCluster: `arn:<partition>:iam::<account>:role/[<path>/]<name>`.
 * Service-linked roles are refused (SSM activations cannot use them).
 */
export function validateRoleArn(text: string): ValidationResult {
  const parsed = parseArn(text);
  if (!parsed.ok) return parsed;
  const arn = parsed.value;
  if (arn.service !== 'iam') {
    const session = arn.service === 'sts' && arn.resource.startsWith('assumed-role/');
    return fail(
      session ? 'This is an STS session ARN, not an IAM role ARN.' : `This is an ARN of the "${arn.service}" service, not an IAM role ARN.`,
      notIamHint(arn) ?? `An IAM role ARN looks like arn:${arn.partition}:iam::${arn.accountId}:role/AmazonEKSConnectorAgentRole.`,
    );
  }
  if (arn.region !== '') return fail(`IAM ARNs have no region, but this one names "${arn.region}".`, `Remove the region: arn:${arn.partition}:iam::${arn.accountId}:${arn.resource}`);
  const slash = arn.resource.indexOf('/');
  const resourceType = slash < 0 ? arn.resource : arn.resource.slice(0, slash);
  if (resourceType !== 'role') {
    return fail(`This is an IAM ${resourceType} ARN; the connector needs an IAM role ARN ("...:role/<name>").`);
  }
  const pathAndName = checkIamPathAndName('role', arn.resource.slice('role/'.length));
  if (!pathAndName.ok) return pathAndName;
  if (pathAndName.value.path[0] === 'aws-service-role') {
    return fail(
      `"${pathAndName.value.name}" is a service-linked role; the connector needs its own agent role that trusts ssm.amazonaws.com.`,
      'Choose or create a role such as AmazonEKSConnectorAgentRole.',
    );
  }
  return { ok: true, value: text.trim() };
}

// ---------------------------------------------------------------------------------------------------------------

function canonicalise(text: string): ValidationResult {
  const parsed = parseArn(text);
  if (!parsed.ok) return parsed;
  const arn = parsed.value;
  const original = text.trim();
  if (arn.service !== 'iam' && arn.service !== 'sts') {
    return fail(`This is an ARN of the "${arn.service}" service; console access is granted to IAM users and roles (iam or sts ARNs).`);
  }
  if (arn.region !== '') return fail(`${arn.service.toUpperCase()} identity ARNs have no region, but this one names "${arn.region}".`);
  const [resourceType, ...rest] = arn.resource.split('/');
  if (arn.service === 'sts') {
    if (resourceType === 'assumed-role') {
      // Role names and session names cannot contain "/", so a session ARN has exactly role and session after the type.
      if (rest.length !== 2 || rest[0] === '' || rest[1] === '') {
        return fail('An assumed-role ARN must look like arn:<partition>:sts::<account>:assumed-role/<role name>/<session name>.');
      }
      const role = checkIamPathAndName('role', rest[0]);
      if (!role.ok) return role;
      return { ok: true, value: `arn:${arn.partition}:iam::${arn.accountId}:role/${rest[0]}` };
    }
    if (resourceType === 'federated-user') {
      if (rest.length !== 1 || rest[0] === '') return fail('A federated-user ARN must look like arn:<partition>:sts::<account>:federated-user/<name>.');
      return { ok: true, value: original };
    }
    return fail(`"${resourceType}" is not an STS identity; expected assumed-role/<role>/<session> or federated-user/<name>.`);
  }
  if (arn.resource === 'root') return { ok: true, value: original };
  if (resourceType !== 'user' && resourceType !== 'role') {
    return fail(`An IAM ${resourceType} cannot open the EKS console; give the ARN of an IAM user or role.`);
  }
  const pathAndName = checkIamPathAndName(resourceType, rest.join('/'));
  if (!pathAndName.ok) return pathAndName;
  if (resourceType === 'role' && pathAndName.value.name.startsWith(SSO_ROLE_PREFIX) && pathAndName.value.path.length > 0) {
    return { ok: true, value: `arn:${arn.partition}:iam::${arn.accountId}:role/${pathAndName.value.name}` };
  }
  return { ok: true, value: original };
}

/**
 * The Kubernetes user name the connector impersonates for an IAM identity (docs/connector-reference.md#principal-names): IAM users, roles, the root
 * user and federated users unchanged; `assumed-role/<role>/<session>` becomes `arn:<p>:iam::<acct>:role/<role>`;
 * IAM Identity Center roles (`AWSReservedSSO_...`) lose their path. Throws with the reason for anything else.
 */
export function canonicalPrincipalArn(arn: string): string {
  const result = canonicalise(arn);
  if (!result.ok) throw new Error(result.hint ? `${result.message} ${result.hint}` : result.message);
  return result.value;
}

/** Input check for "grant console access": any IAM identity ARN, returned in canonical form. */
export function validatePrincipalArn(text: string): ValidationResult {
  return canonicalise(text);
}

/** Whether an ARN is already in the canonical form the impersonation rule and RBAC subjects need. */
export function isCanonicalPrincipalArn(arn: string): boolean {
  const result = canonicalise(arn);
  return result.ok && result.value === arn;
}

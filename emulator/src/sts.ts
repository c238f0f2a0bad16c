// AWS STS (awsQuery): GetCallerIdentity, and AssumeRole issuing temporary credentials whose requests then act as
// `arn:aws:sts::<account>:assumed-role/<Role>/<session>`.
import { IAM_NAME_PATTERN, parseRoleArn } from './arns';
import { authorize, requireCaller, type ServiceCall } from './context';
import { secretAccessKey, sessionToken, stableUniqueId, temporaryAccessKeyId } from './ids';
import { ApiError, constraintMessage, type XmlOut } from './protocols';
import type { Caller } from './identities';
import type { RoleRecord } from './state';

type StsHandler = (call: ServiceCall, form: URLSearchParams) => XmlOut | undefined;

function validationError(message: string): ApiError {
  return new ApiError('ValidationError', 400, message);
}

function getCallerIdentity(call: ServiceCall): XmlOut {
  const caller = requireCaller(call);
  return { Arn: caller.arn, UserId: caller.userId, Account: caller.accountId };
}

interface TrustStatement {
  Effect?: unknown;
  Principal?: unknown;
  Action?: unknown;
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}

/** The caller ARN as a trust policy names it: assumed-role sessions are matched by their role. */
function principalForms(caller: Caller): string[] {
  const forms = [caller.arn, caller.accountId, `arn:aws:iam::${caller.accountId}:root`];
  const assumed = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\//.exec(caller.arn);
  if (assumed) forms.push(`arn:${assumed[1]}:iam::${assumed[2]}:role/${assumed[3]}`);
  return forms;
}

/** A simplified trust evaluation: an Allow statement for sts:AssumeRole whose AWS principal names the caller. */
function trustAllows(role: RoleRecord, caller: Caller): boolean {
  let document: { Statement?: unknown };
  try {
    document = JSON.parse(role.assumeRolePolicyDocument) as { Statement?: unknown };
  } catch {
    return false;
  }
  const forms = principalForms(caller);
  return listOf(document.Statement).some((entry) => {
    const statement = entry as TrustStatement;
    if (statement.Effect !== 'Allow') return false;
    if (!listOf(statement.Action).some((action) => action === 'sts:AssumeRole' || action === 'sts:*' || action === '*')) return false;
    if (statement.Principal === '*') return true;
    const principal = statement.Principal as { AWS?: unknown } | undefined;
    return listOf(principal?.AWS).some((aws) => aws === '*' || (typeof aws === 'string' && forms.includes(aws)));
  });
}

function assumeRole(call: ServiceCall, form: URLSearchParams): XmlOut {
  const caller = requireCaller(call);
  const roleArnValue = form.get('RoleArn') ?? '';
  const sessionName = form.get('RoleSessionName') ?? '';
  if (roleArnValue.length < 20 || roleArnValue.length > 2048) throw validationError(constraintMessage(roleArnValue, 'roleArn', 'Member must have length greater than or equal to 20'));
  if (sessionName.length < 2 || sessionName.length > 64 || !IAM_NAME_PATTERN.test(sessionName)) {
    throw validationError(constraintMessage(sessionName, 'roleSessionName', 'Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64'));
  }
  const durationText = form.get('DurationSeconds');
  const duration = durationText === null ? 3600 : Number(durationText);
  if (!Number.isInteger(duration) || duration < 900 || duration > 43200) throw validationError(constraintMessage(durationText, 'durationSeconds', 'Member must have value between 900 and 43200'));

  const denied = new ApiError('AccessDenied', 403, `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArnValue}`);
  authorize(call, 'sts:AssumeRole', roleArnValue);
  const parsed = parseRoleArn(roleArnValue);
  if (!parsed) throw validationError(`${roleArnValue} is not a valid role ARN`);
  const role = call.world.account(parsed.accountId).roles[parsed.name.toLowerCase()];
  if (call.world.state.iamDeclared) {
    // Real STS answers AccessDenied, not NoSuchEntity, both for a missing role and for one that does not trust the caller.
    if (!role || role.path !== parsed.path || !trustAllows(role, caller)) throw denied;
    if (duration > role.maxSessionDuration) throw validationError('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
  }
  const roleIdentifier = role?.id ?? stableUniqueId('AROA', roleArnValue);
  const assumedArn = `arn:${parsed.partition}:sts::${parsed.accountId}:assumed-role/${parsed.name}/${sessionName}`;
  const accessKeyId = temporaryAccessKeyId();
  const expiresAtWallClock = Date.now() + duration * 1000;
  const session = {
    accessKeyId,
    secretAccessKey: secretAccessKey(),
    sessionToken: sessionToken(),
    arn: assumedArn,
    accountId: parsed.accountId,
    roleArn: roleArnValue,
    roleId: roleIdentifier,
    sessionName,
    expiresAtWallClock,
    // A session has the role's permissions, not the caller's: seed denies declared on the role's ARN apply.
    deny: Object.values(call.world.state.identities).filter((identity) => identity.arn === roleArnValue).flatMap((identity) => identity.deny),
  };
  call.world.state.sessions[accessKeyId] = session;
  call.world.changed();
  return {
    Credentials: { AccessKeyId: accessKeyId, SecretAccessKey: session.secretAccessKey, SessionToken: session.sessionToken, Expiration: new Date(expiresAtWallClock) },
    AssumedRoleUser: { AssumedRoleId: `${roleIdentifier}:${sessionName}`, Arn: assumedArn },
    PackedPolicySize: 0,
  };
}

export const STS_HANDLERS: Record<string, StsHandler> = {
  GetCallerIdentity: getCallerIdentity,
  AssumeRole: assumeRole,
};

/** GetCallerIdentity needs no permission: even a fully denied identity can call it. */
export const NEVER_DENIED = new Set(['GetCallerIdentity']);

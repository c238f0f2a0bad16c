// AWS IAM (awsQuery, global): the role operations the extension uses to create and inspect the connector agent
// role. Policy documents travel URL-encoded in responses, as the real API returns them.
import { IAM_NAME_PATTERN, IAM_PATH_PATTERN, roleArn } from './arns';
import { authorize, requireCaller, type ServiceCall } from './context';
import { roleId } from './ids';
import { ApiError, constraintMessage, type XmlOut } from './protocols';
import type { RoleRecord } from './state';
import { compareStrings, pageAfter } from './tokens';

type IamHandler = (call: ServiceCall, form: URLSearchParams) => XmlOut | undefined;

function validationError(message: string): ApiError {
  return new ApiError('ValidationError', 400, message);
}

function noSuchRole(name: string): ApiError {
  return new ApiError('NoSuchEntity', 404, `The role with name ${name} cannot be found.`);
}

function required(form: URLSearchParams, key: string, member: string): string {
  const value = form.get(key);
  if (value === null) throw validationError(`1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  return value;
}

function checkName(value: string, member: string, max: number): string {
  if (value.length < 1 || value.length > max) throw validationError(constraintMessage(value, member, `Member must have length less than or equal to ${max} and greater than or equal to 1`));
  if (!IAM_NAME_PATTERN.test(value)) throw validationError(constraintMessage(value, member, 'Member must satisfy regular expression pattern: [\\w+=,.@-]+'));
  return value;
}

function policyDocument(text: string, member: string): string {
  if (text.length < 1 || text.length > 131072) throw validationError(constraintMessage(`${text.slice(0, 20)}…`, member, 'Member must have length between 1 and 131072'));
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiError('MalformedPolicyDocument', 400, 'This policy contains invalid Json');
  }
  const document = parsed as { Statement?: unknown } | null;
  if (typeof document !== 'object' || document === null || Array.isArray(document)) throw new ApiError('MalformedPolicyDocument', 400, 'This policy contains invalid Json');
  if (document.Statement === undefined) throw new ApiError('MalformedPolicyDocument', 400, 'Syntax errors in policy.');
  return text;
}

/** IAM returns policy documents RFC 3986-encoded; clients decodeURIComponent them. */
function encodePolicy(text: string): string {
  return encodeURIComponent(text);
}

/** `Tags.member.N.Key` / `Tags.member.N.Value` into a map, keeping request order. */
function tagsFromForm(form: URLSearchParams): Record<string, string> {
  const tags: Record<string, string> = {};
  for (let index = 1; form.has(`Tags.member.${index}.Key`); index++) {
    const key = form.get(`Tags.member.${index}.Key`) ?? '';
    const value = form.get(`Tags.member.${index}.Value`) ?? '';
    if (key.length < 1 || key.length > 128) throw validationError(constraintMessage(key, `tags.${index}.member.key`, 'Member must have length between 1 and 128'));
    if (value.length > 256) throw validationError(constraintMessage(value, `tags.${index}.member.value`, 'Member must have length less than or equal to 256'));
    if (key.toLowerCase().startsWith('aws:')) throw new ApiError('InvalidInput', 400, `Tag key ${key} is invalid: keys beginning with 'aws:' are reserved for AWS use.`);
    tags[key] = value;
  }
  return tags;
}

function tagList(tags: Record<string, string>): XmlOut {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

function roleView(role: RoleRecord): XmlOut {
  return {
    Path: role.path,
    RoleName: role.name,
    RoleId: role.id,
    Arn: role.arn,
    CreateDate: new Date(role.createdAt),
    AssumeRolePolicyDocument: encodePolicy(role.assumeRolePolicyDocument),
    Description: role.description,
    MaxSessionDuration: role.maxSessionDuration,
    Tags: Object.keys(role.tags).length > 0 ? tagList(role.tags) : undefined,
    RoleLastUsed: {},
  };
}

function rolesOf(call: ServiceCall): { accountId: string; roles: Record<string, RoleRecord> } {
  const caller = requireCaller(call);
  return { accountId: caller.accountId, roles: call.world.account(caller.accountId).roles };
}

function arnOfName(accountId: string, name: string, roles: Record<string, RoleRecord>): string {
  return roles[name.toLowerCase()]?.arn ?? roleArn('aws', accountId, '/', name);
}

/** The role a call names, once the caller may act on it: as in IAM, AccessDenied comes before NoSuchEntity. */
function authorizedRoleRequest(call: ServiceCall, form: URLSearchParams, action: string): { accountId: string; roles: Record<string, RoleRecord>; name: string } {
  const { accountId, roles } = rolesOf(call);
  const name = required(form, 'RoleName', 'roleName');
  authorize(call, action, arnOfName(accountId, name, roles));
  return { accountId, roles, name };
}

function existingRole(roles: Record<string, RoleRecord>, name: string): RoleRecord {
  const role = roles[name.toLowerCase()];
  if (!role) throw noSuchRole(name);
  return role;
}

function maxItems(form: URLSearchParams, fallback: number): number {
  const text = form.get('MaxItems');
  if (text === null) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 1000) throw validationError(constraintMessage(text, 'maxItems', 'Member must have value between 1 and 1000'));
  return value;
}

function marker(call: ServiceCall, form: URLSearchParams, scope: string): string | undefined {
  const text = form.get('Marker');
  if (text === null) return undefined;
  const cursor = call.world.tokens.decode(text, scope);
  if (!cursor) throw new ApiError('InvalidInput', 400, 'Invalid Marker.');
  return cursor.after;
}

function getRole(call: ServiceCall, form: URLSearchParams): XmlOut {
  const { roles, name } = authorizedRoleRequest(call, form, 'iam:GetRole');
  return { Role: roleView(existingRole(roles, checkName(name, 'roleName', 64))) };
}

function listRoles(call: ServiceCall, form: URLSearchParams): XmlOut {
  const { accountId, roles } = rolesOf(call);
  authorize(call, 'iam:ListRoles', `arn:aws:iam::${accountId}:role/`);
  const prefix = form.get('PathPrefix') ?? '/';
  if (!prefix.startsWith('/')) throw validationError(constraintMessage(prefix, 'pathPrefix', 'Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*'));
  const limit = maxItems(form, 100);
  const scope = `iam:ListRoles:${accountId}:${prefix}`;
  const byKey = new Map<string, RoleRecord>();
  for (const [key, role] of Object.entries(roles)) if (role.path.startsWith(prefix)) byKey.set(key, role);
  const { page, last } = pageAfter([...byKey.keys()].sort(compareStrings), marker(call, form, scope), limit);
  return {
    Roles: page.map((key) => roleView(byKey.get(key)!)),
    IsTruncated: last !== undefined,
    Marker: last === undefined ? undefined : call.world.tokens.encode({ scope, after: last }),
  };
}

function createRole(call: ServiceCall, form: URLSearchParams): XmlOut {
  const { accountId, roles } = rolesOf(call);
  const name = checkName(required(form, 'RoleName', 'roleName'), 'roleName', 64);
  const path = form.get('Path') ?? '/';
  const arn = roleArn('aws', accountId, path, name);
  authorize(call, 'iam:CreateRole', arn);
  if (path.length > 512 || !IAM_PATH_PATTERN.test(path)) throw validationError(constraintMessage(path, 'path', 'Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)'));
  const document = policyDocument(required(form, 'AssumeRolePolicyDocument', 'assumeRolePolicyDocument'), 'assumeRolePolicyDocument');
  const description = form.get('Description') ?? undefined;
  if (description !== undefined && description.length > 1000) throw validationError(constraintMessage(`${description.slice(0, 20)}…`, 'description', 'Member must have length less than or equal to 1000'));
  const durationText = form.get('MaxSessionDuration');
  const maxSessionDuration = durationText === null ? 3600 : Number(durationText);
  if (!Number.isInteger(maxSessionDuration) || maxSessionDuration < 3600 || maxSessionDuration > 43200) {
    throw validationError(constraintMessage(durationText, 'maxSessionDuration', 'Member must have value between 3600 and 43200'));
  }
  const tags = tagsFromForm(form);
  if (Object.keys(tags).length > 50) throw new ApiError('LimitExceeded', 409, 'Cannot exceed quota for TagsPerRole: 50.');
  if (roles[name.toLowerCase()]) throw new ApiError('EntityAlreadyExists', 409, `Role with name ${name} already exists.`);
  const role: RoleRecord = { name, path, id: roleId(), arn, createdAt: call.now, assumeRolePolicyDocument: document, description, maxSessionDuration, tags, inlinePolicies: {} };
  roles[name.toLowerCase()] = role;
  call.world.changed();
  return { Role: roleView(role) };
}

function deleteRole(call: ServiceCall, form: URLSearchParams): undefined {
  const { roles, name } = authorizedRoleRequest(call, form, 'iam:DeleteRole');
  const role = existingRole(roles, name);
  if (Object.keys(role.inlinePolicies).length > 0) throw new ApiError('DeleteConflict', 409, 'Cannot delete entity, must delete policies first.');
  delete roles[name.toLowerCase()];
  call.world.changed();
  return undefined;
}

function putRolePolicy(call: ServiceCall, form: URLSearchParams): undefined {
  const { roles, name } = authorizedRoleRequest(call, form, 'iam:PutRolePolicy');
  const policyName = checkName(required(form, 'PolicyName', 'policyName'), 'policyName', 128);
  const document = policyDocument(required(form, 'PolicyDocument', 'policyDocument'), 'policyDocument');
  existingRole(roles, name).inlinePolicies[policyName] = document;
  call.world.changed();
  return undefined;
}

function getRolePolicy(call: ServiceCall, form: URLSearchParams): XmlOut {
  const { roles, name } = authorizedRoleRequest(call, form, 'iam:GetRolePolicy');
  const policyName = required(form, 'PolicyName', 'policyName');
  const role = existingRole(roles, name);
  const document = role.inlinePolicies[policyName];
  if (document === undefined) throw new ApiError('NoSuchEntity', 404, `The role policy with name ${policyName} cannot be found.`);
  return { RoleName: role.name, PolicyName: policyName, PolicyDocument: encodePolicy(document) };
}

function listRolePolicies(call: ServiceCall, form: URLSearchParams): XmlOut {
  const { accountId, roles, name } = authorizedRoleRequest(call, form, 'iam:ListRolePolicies');
  const role = existingRole(roles, name);
  const limit = maxItems(form, 100);
  const scope = `iam:ListRolePolicies:${accountId}:${role.name}`;
  const { page, last } = pageAfter(Object.keys(role.inlinePolicies).sort(compareStrings), marker(call, form, scope), limit);
  return { PolicyNames: page, IsTruncated: last !== undefined, Marker: last === undefined ? undefined : call.world.tokens.encode({ scope, after: last }) };
}

function deleteRolePolicy(call: ServiceCall, form: URLSearchParams): undefined {
  const { roles, name } = authorizedRoleRequest(call, form, 'iam:DeleteRolePolicy');
  const policyName = required(form, 'PolicyName', 'policyName');
  const role = existingRole(roles, name);
  if (role.inlinePolicies[policyName] === undefined) throw new ApiError('NoSuchEntity', 404, `The role policy with name ${policyName} cannot be found.`);
  delete role.inlinePolicies[policyName];
  call.world.changed();
  return undefined;
}

function tagRole(call: ServiceCall, form: URLSearchParams): undefined {
  const { roles, name } = authorizedRoleRequest(call, form, 'iam:TagRole');
  const role = existingRole(roles, name);
  const tags = tagsFromForm(form);
  if (Object.keys(tags).length === 0) throw validationError(`1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null`);
  const merged = { ...role.tags, ...tags };
  if (Object.keys(merged).length > 50) throw new ApiError('LimitExceeded', 409, 'Cannot exceed quota for TagsPerRole: 50.');
  role.tags = merged;
  call.world.changed();
  return undefined;
}

function untagRole(call: ServiceCall, form: URLSearchParams): undefined {
  const { roles, name } = authorizedRoleRequest(call, form, 'iam:UntagRole');
  const role = existingRole(roles, name);
  for (let index = 1; form.has(`TagKeys.member.${index}`); index++) delete role.tags[form.get(`TagKeys.member.${index}`) ?? ''];
  call.world.changed();
  return undefined;
}

function listRoleTags(call: ServiceCall, form: URLSearchParams): XmlOut {
  const { roles, name } = authorizedRoleRequest(call, form, 'iam:ListRoleTags');
  return { Tags: tagList(existingRole(roles, name).tags), IsTruncated: false };
}

export const IAM_HANDLERS: Record<string, IamHandler> = {
  GetRole: getRole,
  ListRoles: listRoles,
  CreateRole: createRole,
  DeleteRole: deleteRole,
  PutRolePolicy: putRolePolicy,
  GetRolePolicy: getRolePolicy,
  ListRolePolicies: listRolePolicies,
  DeleteRolePolicy: deleteRolePolicy,
  TagRole: tagRole,
  UntagRole: untagRole,
  ListRoleTags: listRoleTags,
};

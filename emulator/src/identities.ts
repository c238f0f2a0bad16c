// Who is calling: the access key in the signature maps to a seed identity, an AssumeRole session, or (unless
// identities are strict) the default administrator. Seed `deny` rules turn into the real AccessDenied wording.
import { principalAccount } from './arns';
import { stableUniqueId } from './ids';
import type { SeedDeny } from './seed';
import type { EmulatorState } from './state';

export interface Caller {
  accessKeyId: string;
  arn: string;
  accountId: string;
  userId: string;
  deny: readonly SeedDeny[];
  /** Present when the signature must be verified. */
  secretAccessKey?: string;
  /** Present for AssumeRole sessions: the request must carry this token. */
  sessionToken?: string;
  /** Present for AssumeRole sessions: wall-clock expiry. */
  expiresAtWallClock?: number;
}

export type CallerLookup = { ok: true; caller: Caller } | { ok: false; reason: 'unknownKey' | 'badToken' | 'expired' };

export function adminArn(accountId: string): string {
  return `arn:aws:iam::${accountId}:user/admin`;
}

function userIdFor(arn: string, accountId: string): string {
  const assumed = /^arn:[^:]+:sts::\d{12}:assumed-role\/([^/]+)\/(.+)$/.exec(arn);
  if (assumed) return `${stableUniqueId('AROA', `${accountId}/${assumed[1]}`)}:${assumed[2]}`;
  if (/:root$/.test(arn)) return accountId;
  if (/:role\//.test(arn)) return stableUniqueId('AROA', arn);
  return stableUniqueId('AIDA', arn);
}

export function lookupCaller(state: EmulatorState, accessKeyId: string, sessionTokenHeader: string | undefined, wallClockNow: number): CallerLookup {
  const session = state.sessions[accessKeyId];
  if (session) {
    if (sessionTokenHeader !== session.sessionToken) return { ok: false, reason: 'badToken' };
    if (wallClockNow >= session.expiresAtWallClock) return { ok: false, reason: 'expired' };
    return {
      ok: true,
      caller: {
        accessKeyId, arn: session.arn, accountId: session.accountId, userId: `${session.roleId}:${session.sessionName}`, deny: session.deny,
        secretAccessKey: session.secretAccessKey, sessionToken: session.sessionToken, expiresAtWallClock: session.expiresAtWallClock,
      },
    };
  }
  const identity = state.identities[accessKeyId];
  if (identity) {
    const accountId = principalAccount(identity.arn) ?? state.defaultAccountId;
    return {
      ok: true,
      caller: { accessKeyId, arn: identity.arn, accountId, userId: userIdFor(identity.arn, accountId), deny: identity.deny, secretAccessKey: identity.secretAccessKey },
    };
  }
  if (state.strictIdentities) return { ok: false, reason: 'unknownKey' };
  const arn = adminArn(state.defaultAccountId);
  return { ok: true, caller: { accessKeyId, arn, accountId: state.defaultAccountId, userId: userIdFor(arn, state.defaultAccountId), deny: [] } };
}

const patternCache = new Map<string, RegExp>();

function actionPattern(action: string): RegExp {
  let pattern = patternCache.get(action);
  if (!pattern) {
    // IAM action matching is case-insensitive and `*` matches any run of characters.
    pattern = new RegExp(`^${action.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
    patternCache.set(action, pattern);
  }
  return pattern;
}

export function isDenied(caller: Caller, action: string, region: string): boolean {
  return caller.deny.some((rule) => actionPattern(rule.action).test(action) && (!rule.regions || rule.regions.includes(region)));
}

export function accessDeniedMessage(caller: Caller, action: string, resource: string): string {
  return `User: ${caller.arn} is not authorized to perform: ${action} on resource: ${resource} with an explicit deny in an identity-based policy`;
}

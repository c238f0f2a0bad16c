// Identifier generators shaped like the real ones, so clients that pattern-match ids keep working.
import { createHash, randomBytes, randomUUID } from 'node:crypto';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const ACCESS_KEY_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const ACTIVATION_CODE_CHARS = `${ALNUM}+/`;

function randomFrom(alphabet: string, length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[bytes[i] % alphabet.length];
  return out;
}

export function uuid(): string {
  return randomUUID();
}

export function requestId(): string {
  return randomUUID();
}

/** Real activation codes are 20 characters of letters, digits, `+` and `/`. */
export function activationCode(): string {
  return randomFrom(ACTIVATION_CODE_CHARS, 20);
}

/** Letters and digits only (a subset of `\w`), so the `_<suffix>` of an `eks_c:` id can be split off reliably. */
export function wordSuffix(length = 17): string {
  return randomFrom(ALNUM, length);
}

export function temporaryAccessKeyId(): string {
  return `ASIA${randomFrom(ACCESS_KEY_CHARS, 16)}`;
}

export function secretAccessKey(): string {
  return randomFrom(`${ALNUM}+/`, 40);
}

export function sessionToken(): string {
  return randomBytes(264).toString('base64');
}

export function roleId(): string {
  return `AROA${randomFrom(UPPER_ALNUM, 17)}`;
}

/** Stable per ARN, so GetCallerIdentity returns the same UserId across restarts. */
export function stableUniqueId(prefix: string, seed: string): string {
  const digest = createHash('sha256').update(seed).digest();
  let out = prefix;
  for (let i = 0; i < 17; i++) out += UPPER_ALNUM[digest[i] % UPPER_ALNUM.length];
  return out;
}

export function hexId(length: number): string {
  return randomBytes(Math.ceil(length / 2)).toString('hex').slice(0, length).toUpperCase();
}

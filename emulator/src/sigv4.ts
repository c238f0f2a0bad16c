// SigV4 parsing and verification. The credential scope in the Authorization header tells the emulator which service
// and region a request is for (all services share one URL); when the seed gives an identity's secret key, the
// signature is recomputed the way the SDK computed it and compared.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface ParsedAuthorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

const AUTHORIZATION_PATTERN = /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-f]{64})\s*$/;

export type AuthorizationParse = { ok: true; value: ParsedAuthorization } | { ok: false; reason: string };

export function parseAuthorization(header: string): AuthorizationParse {
  const match = AUTHORIZATION_PATTERN.exec(header.trim());
  if (!match) {
    return { ok: false, reason: `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters in the AWS4-HMAC-SHA256 format. Authorization=${header.slice(0, 40)}` };
  }
  return {
    ok: true,
    value: { accessKeyId: match[1], date: match[2], region: match[3], service: match[4], signedHeaders: match[5].split(';'), signature: match[6] },
  };
}

/** The SDK's URI escaping: encodeURIComponent plus the characters RFC 3986 reserves. */
function escapeUri(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Non-S3 services sign the path URI-encoded a second time, with `.`/`..`/empty segments normalised away. */
function canonicalPath(rawPath: string): string {
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized = `${rawPath.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && rawPath.endsWith('/') ? '/' : ''}`;
  return escapeUri(normalized).replace(/%2F/g, '/');
}

function canonicalQuery(rawQuery: string): string {
  if (!rawQuery) return '';
  const pairs: [string, string][] = [];
  for (const part of rawQuery.split('&')) {
    if (!part) continue;
    const equals = part.indexOf('=');
    const key = safeDecode(equals < 0 ? part : part.slice(0, equals));
    const value = equals < 0 ? '' : safeDecode(part.slice(equals + 1));
    if (key.toLowerCase() === 'x-amz-signature') continue;
    pairs.push([escapeUri(key), escapeUri(value)]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([key, value]) => `${key}=${value}`).join('&');
}

export interface SignedRequest {
  method: string;
  rawPath: string;
  rawQuery: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function headerValue(value: string | string[] | undefined): string {
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '');
  return joined.replace(/[\r\n]/g, ' ').replace(/[ \t]+/g, ' ').trim();
}

export function computeSignature(request: SignedRequest, auth: ParsedAuthorization, secretAccessKey: string): string {
  const amzDate = headerValue(request.headers['x-amz-date']);
  const payloadHash = headerValue(request.headers['x-amz-content-sha256']) || createHash('sha256').update(request.body).digest('hex');
  const canonicalRequest = [
    request.method,
    canonicalPath(request.rawPath),
    canonicalQuery(request.rawQuery),
    auth.signedHeaders.map((name) => `${name}:${headerValue(request.headers[name])}\n`).join(''),
    auth.signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  let key: Buffer = createHmac('sha256', `AWS4${secretAccessKey}`).update(auth.date).digest();
  for (const part of [auth.region, auth.service, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

export function signatureMatches(request: SignedRequest, auth: ParsedAuthorization, secretAccessKey: string): boolean {
  const expected = Buffer.from(computeSignature(request, auth, secretAccessKey), 'hex');
  const given = Buffer.from(auth.signature, 'hex');
  return expected.length === given.length && timingSafeEqual(expected, given);
}

// Turns @kubernetes/client-node failures (API Status errors, fetch/network/TLS errors, timeouts, exec-plugin
// failures) into messages that name the context and server, say why, and what to do. Pure logic: no vscode.
import path from 'node:path';
import { isCancellation } from '../util/abort';

export type KubeErrorKind =
  | 'unreachable'
  | 'unauthorized'
  | 'forbidden'
  | 'notFound'
  | 'conflict'
  | 'invalid'
  | 'cancelled'
  | 'unknown';

export interface KubeErrorContext {
  /** Present-tense activity, e.g. "Reading the Kubernetes version". */
  readonly activity: string;
  /** The kubeconfig context the call went through. */
  readonly context?: string;
  /** The API server URL of that context; taken from the error text when absent. */
  readonly server?: string;
  /** The exec credential plugin of the context's user, if any: a failure before any request is then its failure. */
  readonly execPlugin?: string;
}

/** The parts of a Kubernetes `Status` body worth showing. */
export interface KubeStatus {
  readonly code?: number;
  readonly reason?: string;
  readonly message?: string;
  readonly details?: {
    readonly name?: string;
    readonly group?: string;
    readonly kind?: string;
    readonly causes?: ReadonlyArray<{ readonly reason?: string; readonly message?: string; readonly field?: string }>;
  };
}

export interface DescribedKubeError {
  readonly kind: KubeErrorKind;
  /** What failed: "Applying Namespace eks-connector failed". */
  readonly summary: string;
  /** Why, in the API server's own words where it gave any. */
  readonly reason: string;
  /** What the user can do about it. */
  readonly fix: string;
  readonly retryable: boolean;
  /** HTTP status or system error code (ECONNREFUSED, CERT_HAS_EXPIRED, ...), for logs and tests. */
  readonly code?: number | string;
  /** The API server's Status body, when it sent one. */
  readonly status?: KubeStatus;
}

/** An error whose message is already user-facing; `described` keeps the parts apart for the UI. */
export class KubeOperationError extends Error {
  constructor(readonly described: DescribedKubeError, options?: { cause?: unknown }) {
    super(formatKubeError(described), options);
    this.name = 'KubeOperationError';
  }
}

/** A request that ran into the client-side time limit (distinct from a user's cancel). */
export class KubeTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(readonly url: string | undefined, readonly ms: number) {
    super(`no answer from ${url ?? 'the API server'} within ${Math.round(ms / 1000)} s`);
    this.name = 'KubeTimeoutError';
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH',
  'ECONNABORTED', 'EADDRNOTAVAIL', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT',
]);
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_SIGNATURE_FAILURE', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'EPROTO', 'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_OSSL_PEM_NO_START_LINE', 'ERR_OSSL_X509_KEY_VALUES_MISMATCH',
]);

interface ErrorLike {
  name?: string;
  message?: string;
  code?: unknown;
  errno?: unknown;
  syscall?: string;
  path?: string;
  type?: string;
  statusCode?: number;
  body?: unknown;
  cause?: unknown;
}

function asErrorLike(error: unknown): ErrorLike {
  return typeof error === 'object' && error !== null ? (error as ErrorLike) : { message: String(error) };
}

/** HTTP status of an ApiException (`code` is a number there) or of a failed watch (`statusCode`). */
export function httpStatusOf(error: unknown): number | undefined {
  const e = asErrorLike(error);
  if (typeof e.code === 'number') return e.code;
  if (typeof e.statusCode === 'number') return e.statusCode;
  return undefined;
}

/** The Status body of an API error: client-node keeps it as text or as an object, depending on the client. */
export function kubeStatusOf(error: unknown): KubeStatus | undefined {
  const e = asErrorLike(error);
  if (httpStatusOf(error) === undefined) return undefined;
  let body = e.body;
  if (typeof body === 'string') {
    const text = body.trim();
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      return text ? { message: text.slice(0, 500) } : undefined;
    }
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const status = body as KubeStatus & { kind?: string };
  return { code: status.code, reason: status.reason, message: status.message, details: status.details };
}

export function isNotFoundError(error: unknown): boolean {
  return httpStatusOf(error) === 404;
}

/** Server-side apply conflicts: 409 with FieldManagerConflict causes (not AlreadyExists). */
export function fieldManagerConflicts(error: unknown): Array<{ manager: string; field: string }> {
  if (httpStatusOf(error) !== 409) return [];
  const causes = kubeStatusOf(error)?.details?.causes ?? [];
  return causes
    .filter((c) => c.reason === 'FieldManagerConflict')
    .map((c) => ({ manager: /conflict with "([^"]+)"/.exec(c.message ?? '')?.[1] ?? 'another manager', field: c.field ?? c.message ?? '?' }));
}

/** A system error code (ECONNREFUSED, CERT_HAS_EXPIRED, ...) anywhere in the cause chain. */
function systemCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const e = asErrorLike(current);
    if (typeof e.code === 'string' && (NETWORK_CODES.has(e.code) || TLS_CODES.has(e.code) || e.code === 'ENOENT' || e.code === 'EACCES')) return e.code;
    if (e.name === 'KubeTimeoutError' || e.name === 'TimeoutError' || e.type === 'request-timeout') return 'ETIMEDOUT';
    const fromMessage = /\b(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH)\b/.exec(e.message ?? '')?.[1];
    if (fromMessage) return fromMessage;
    if (/socket hang up/i.test(e.message ?? '')) return 'ECONNRESET';
    current = e.cause;
  }
  return undefined;
}

/** The origin a node-fetch error names ("request to https://h:6443/api/v1 failed, reason: ..."). */
function urlInMessage(message: string): string | undefined {
  const url = /request to (\S+) failed/.exec(message)?.[1];
  if (!url) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

function contextLabel(context: KubeErrorContext): string {
  return context.context ? `context "${context.context}"` : 'the current context';
}

/** "request to https://... failed, reason: connect ECONNREFUSED 127.0.0.1:1" → "connect ECONNREFUSED 127.0.0.1:1". */
function networkDetail(message: string): string {
  return /failed, reason: (.+)$/s.exec(message)?.[1]?.trim() ?? message;
}

export function describeKubeError(error: unknown, context: KubeErrorContext): DescribedKubeError {
  const summary = `${context.activity} failed`;
  const e = asErrorLike(error);
  const message = (e.message ?? String(error)).trim();
  const ctx = contextLabel(context);

  if (isCancellation(error) || e.type === 'aborted') {
    return { kind: 'cancelled', summary: `${context.activity} was cancelled`, reason: 'Cancelled.', fix: '', retryable: true };
  }
  if (error instanceof KubeOperationError) {
    // Already described (by a lower layer); keep its words but use this activity.
    return { ...error.described, summary };
  }

  const status = httpStatusOf(error);
  if (status !== undefined) return describeStatus(error, status, summary, context);

  const code = systemCode(error);
  // An exec credential plugin that could not be started: spawn fails with ENOENT and names the command.
  if ((code === 'ENOENT' || code === 'EACCES') && e.syscall?.startsWith('spawn')) {
    const command = e.path ?? e.syscall.replace(/^spawn\s*/, '');
    return {
      kind: 'unauthorized', summary, code,
      reason: `${capitalise(ctx)} gets its credentials from the exec plugin \`${command}\`, which could not be started (${code}).`,
      fix: `Install \`${command}\` and make sure it is on the PATH VS Code sees (restart VS Code after installing), or choose another context.`,
      retryable: false,
    };
  }
  const server = context.server ?? urlInMessage(message);
  const serverText = server ? `The API server ${server} of ${ctx}` : `The API server of ${ctx}`;
  if (code && TLS_CODES.has(code)) {
    return {
      kind: 'unreachable', summary, code,
      reason: `${serverText} answered, but its TLS certificate could not be verified (${code}): ${networkDetail(message)}`,
      fix: code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID'
        ? 'The server certificate is outside its validity period: check the cluster\'s certificates and this computer\'s clock.'
        : 'Check certificate-authority / certificate-authority-data of the cluster in the kubeconfig (and any proxy that intercepts TLS), or get a fresh kubeconfig from the cluster\'s provider.',
      retryable: false,
    };
  }
  if (code === 'ETIMEDOUT') {
    return {
      kind: 'unreachable', summary, code,
      reason: `${serverText} did not answer in time (${code}).`,
      fix: 'Check that the cluster is running and reachable from this computer (VPN, firewall, proxy-url), then retry.',
      retryable: true,
    };
  }
  if (code && NETWORK_CODES.has(code)) {
    const fix = code === 'ENOTFOUND' || code === 'EAI_AGAIN'
      ? 'Check the server address in the kubeconfig and this computer\'s DNS (a VPN may be needed), then retry.'
      : 'Check the cluster is running and the kubeconfig server address, then retry.';
    return { kind: 'unreachable', summary, code, reason: `${serverText} could not be reached (${code}).`, fix, retryable: true };
  }
  const unserved = /Unrecognized API version and kind: (\S+) (\S+)/.exec(message);
  if (unserved) {
    return {
      kind: 'invalid', summary, retryable: false,
      reason: `The cluster does not serve ${unserved[2]} in ${unserved[1]}.`,
      fix: 'Install what provides this API (its CustomResourceDefinition), or use a manifest written for this cluster\'s Kubernetes version.',
    };
  }
  // client-node rejects with the plugin's stderr (or a JSON error for its output) when an exec plugin fails.
  if (context.execPlugin && typeof e.code !== 'string' && (e.name === 'Error' || e.name === 'SyntaxError')
    && !/Unrecognized API version and kind|Required (spec )?(parameter|property)|active cluster/i.test(message)) {
    const command = path.basename(context.execPlugin);
    return {
      kind: 'unauthorized', summary,
      reason: `The exec plugin \`${command}\` of ${ctx} failed${message ? `: ${message.split('\n').slice(0, 5).join(' ').slice(0, 500)}` : '.'}`,
      fix: `Run the plugin in a terminal to see why (for AWS, \`aws sts get-caller-identity\` with the same profile; an expired SSO session needs \`aws sso login\`), fix it, then retry.`,
      retryable: true,
    };
  }
  if (/No (currently )?active cluster/i.test(message)) {
    return {
      kind: 'invalid', summary, reason: `${capitalise(ctx)} names no cluster.`,
      fix: 'Fix the context in the kubeconfig or choose another context.', retryable: false,
    };
  }
  return {
    kind: 'unknown', summary, reason: message || 'Unknown error.',
    fix: 'Retry; if it keeps failing, open the log for details.', retryable: true,
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
  };
}

function describeStatus(error: unknown, status: number, summary: string, context: KubeErrorContext): DescribedKubeError {
  const body = kubeStatusOf(error);
  const serverMessage = body?.message ?? (asErrorLike(error).message ?? '').split('\n')[0];
  const ctx = contextLabel(context);
  const base = { summary, code: status, ...(body ? { status: body } : {}) };
  switch (status) {
    case 401:
      return {
        ...base, kind: 'unauthorized',
        reason: `The API server rejected the credentials of ${ctx} (401 Unauthorized)${body?.message ? `: ${body.message}` : '.'}`,
        fix: 'The token or certificate has expired or is wrong: sign in again with the cluster provider\'s tool (for example refresh the kubeconfig), or choose another context.',
        retryable: false,
      };
    case 403:
      return {
        ...base, kind: 'forbidden', reason: serverMessage || `Forbidden for ${ctx}.`,
        fix: `The user of ${ctx} lacks this permission: use a context with more rights (cluster-admin), or ask a cluster administrator to grant it.`,
        retryable: false,
      };
    case 404: {
      // client-node's discovery of an API group/version the cluster does not serve.
      const discovery = /Failed to fetch resource metadata for (\S+)\/([^/:\s]+):/.exec(asErrorLike(error).message ?? '');
      if (discovery) {
        return {
          ...base, kind: 'invalid', reason: `The cluster does not serve ${discovery[2]} in ${discovery[1]}.`,
          fix: 'Install what provides this API (its CustomResourceDefinition), or use a manifest written for this cluster\'s Kubernetes version.',
          retryable: false,
        };
      }
      return { ...base, kind: 'notFound', reason: serverMessage || 'Not found.', fix: 'Refresh: the object or namespace no longer exists (or the API is not served by this cluster).', retryable: false };
    }
    case 409: {
      const conflicts = fieldManagerConflicts(error);
      if (conflicts.length > 0) {
        const owners = [...new Set(conflicts.map((c) => c.manager))];
        return {
          ...base, kind: 'conflict',
          reason: `Fields of this object are owned by ${owners.map((o) => `"${o}"`).join(', ')}: ${conflicts.map((c) => `${c.field} (${c.manager})`).join(', ')}.`,
          fix: `Another tool manages these fields: change them where ${owners.map((o) => `"${o}"`).join(', ')} sets them (its own configuration or the source it syncs from), or take them over (apply again with force, after confirming which fields change hands), knowing that ${owners.length === 1 ? 'it' : 'they'} may set them back.`,
          retryable: false,
        };
      }
      return {
        ...base, kind: 'conflict', reason: serverMessage || 'Conflict.',
        fix: body?.reason === 'AlreadyExists' ? 'The object already exists: delete it first or choose another name.' : 'The object changed meanwhile: retry.',
        retryable: body?.reason !== 'AlreadyExists',
      };
    }
    case 400:
    case 422: {
      const causes = (body?.details?.causes ?? []).map((c) => [c.field, c.message].filter(Boolean).join(': ')).filter(Boolean);
      return {
        ...base, kind: 'invalid',
        reason: causes.length > 0 && !serverMessage.includes(causes[0]) ? `${serverMessage} (${causes.join('; ')})` : serverMessage || 'Invalid request.',
        fix: 'The API server refused the object as invalid: correct the field it names (the cluster may also be too old for this API).',
        retryable: false,
      };
    }
    case 410:
      return { ...base, kind: 'unknown', reason: serverMessage || 'The requested resource version is too old.', fix: 'Retry: the list will be read again.', retryable: true };
    case 429:
      return { ...base, kind: 'unknown', reason: `The API server is throttling requests (429)${serverMessage ? `: ${serverMessage}` : '.'}`, fix: 'Wait a moment and retry.', retryable: true };
    case 502:
    case 503:
    case 504:
      return {
        ...base, kind: 'unreachable',
        reason: `The API server ${context.server ?? ''} of ${ctx} answered ${status}${serverMessage ? `: ${serverMessage}` : ''}`.replace(/ {2,}/g, ' '),
        fix: 'The API server (or a proxy or aggregated API in front of it) is not ready: retry in a moment.',
        retryable: true,
      };
    default:
      return {
        ...base, kind: 'unknown', reason: `The API server answered ${status}${serverMessage ? `: ${serverMessage}` : '.'}`,
        fix: status >= 500 ? 'This is usually temporary: retry in a moment.' : 'Retry; if it keeps failing, open the log for details.',
        retryable: status >= 500,
      };
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** One line for notifications: "<summary>: <reason> <fix>". */
export function formatKubeError(d: DescribedKubeError): string {
  return [`${d.summary}: ${d.reason}`, d.fix].filter(Boolean).join(' ');
}

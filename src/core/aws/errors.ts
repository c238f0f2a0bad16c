// Turns AWS SDK, credential and network failures into messages that say what failed, for which input, and what
// to do. Pure logic: the tree, commands and CLI all render the same DescribedError.
import { isCancellation } from '../util/abort';
import { shellCommand } from '../util/shellQuote';

export type AwsErrorKind =
  | 'cancelled'
  | 'accessDenied'
  | 'ssoExpired'
  | 'expiredCredentials'
  | 'invalidCredentials'
  | 'noCredentials'
  | 'unknownProfile'
  | 'credentialProcessFailed'
  | 'throttled'
  | 'unreachable'
  | 'server'
  | 'notFound'
  | 'invalidInput'
  | 'unknown';

export interface DescribedError {
  readonly kind: AwsErrorKind;
  /** What failed, naming the input: "Listing clusters in eu-west-1 failed". */
  readonly summary: string;
  /** Why, in the service's own words where it gave any. */
  readonly reason: string;
  /** What the user can do about it. */
  readonly fix: string;
  /** A shell command that fixes it, when there is one (shown copyable); its arguments are quoted for a POSIX shell. */
  readonly command?: string;
  readonly retryable: boolean;
  /** The service's error code (e.g. AccessDeniedException), for logs and tests. */
  readonly code?: string;
}

export interface ErrorContext {
  /** Present-tense activity, e.g. "Listing clusters in eu-west-1". */
  readonly activity: string;
  readonly region?: string;
  readonly profile?: string;
  /** The IAM action the call needs, e.g. "eks:ListClusters", used when the service does not name it. */
  readonly action?: string;
}

interface SdkLikeError {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
  cause?: unknown;
}

const THROTTLING_CODES = new Set([
  'ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded', 'RequestThrottled',
  'RequestThrottledException', 'SlowDown', 'ProvisionedThroughputExceededException', 'BandwidthLimitExceeded',
  'TransactionInProgressException', 'PriorRequestNotComplete', 'EC2ThrottledException',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH',
  'ECONNABORTED', 'UND_ERR_SOCKET',
]);
const INVALID_CREDENTIAL_CODES = new Set([
  'UnrecognizedClientException', 'InvalidClientTokenId', 'SignatureDoesNotMatch', 'InvalidSignatureException',
  'IncompleteSignature', 'MissingAuthenticationTokenException', 'AuthFailure',
]);
const EXPIRED_CODES = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired']);

function codeOf(error: SdkLikeError): string | undefined {
  return error.code ?? error.name;
}

function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 4; depth++) {
    const e = current as SdkLikeError;
    if (e.code && NETWORK_CODES.has(e.code)) return e.code;
    if (e.name === 'TimeoutError' || /socket hang up|ECONNRESET|ECONNREFUSED|connect ETIMEDOUT/.test(e.message ?? '')) {
      return e.code ?? 'ECONNRESET';
    }
    current = e.cause;
  }
  return undefined;
}

export function isThrottlingError(error: unknown): boolean {
  const e = error as SdkLikeError;
  return !!e && (e.$retryable?.throttling === true || THROTTLING_CODES.has(codeOf(e) ?? '') || e.$metadata?.httpStatusCode === 429);
}

/** Errors worth retrying once the moment has passed: throttling, 5xx, dropped or refused connections. */
export function isTransientError(error: unknown): boolean {
  if (isCancellation(error)) return false;
  const e = error as SdkLikeError;
  if (!e) return false;
  if (isThrottlingError(e)) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  return networkCode(e) !== undefined;
}

/** `aws sso login`, for the given profile when there is one (else AWS_PROFILE or the default profile). */
export function ssoLoginArgs(profile: string | undefined): string[] {
  return ['aws', 'sso', 'login', ...(profile ? ['--profile', profile] : [])];
}

function profileLabel(context: ErrorContext): string {
  return context.profile ? `profile "${context.profile}"` : 'the default credentials';
}

export function describeAwsError(error: unknown, context: ErrorContext): DescribedError {
  const summary = `${context.activity} failed`;
  const e = (error ?? {}) as SdkLikeError;
  const message = (e.message ?? String(error)).trim();
  const code = codeOf(e);

  if (isCancellation(error)) {
    return { kind: 'cancelled', summary: `${context.activity} was cancelled`, reason: 'Cancelled.', fix: '', retryable: true, code };
  }
  if (/\bsso\b/i.test(message) && /expired|refresh|invalid/i.test(message)) {
    const command = shellCommand(ssoLoginArgs(context.profile));
    return {
      kind: 'ssoExpired', summary,
      reason: `The AWS IAM Identity Center (SSO) session of ${profileLabel(context)} has expired.`,
      fix: `Sign in again with \`${command}\`, then retry.`,
      command, retryable: true, code,
    };
  }
  if (/Could not resolve credentials using profile|could not be found or parsed|Profile .* not found|specified in the profile is not present/i.test(message)) {
    return {
      kind: 'unknownProfile', summary,
      reason: `${capitalise(profileLabel(context))} is not defined in the AWS config or credentials file, or cannot be used: ${message}`,
      fix: 'Choose another profile (EKS Connector: Choose AWS Profile), or add the profile to ~/.aws/config.',
      retryable: false, code,
    };
  }
  if (/credential_process|^Command failed:/i.test(message)) {
    // The SDK's message repeats the credential_process line of the config file (and may carry what the process
    // printed); either can hold a secret, so neither is shown or logged.
    return {
      kind: 'credentialProcessFailed', summary,
      reason: `The credential_process of ${profileLabel(context)} failed.`,
      fix: `Run the credential_process command of ${profileLabel(context)} (in your AWS config file) in a terminal to see its error, fix it, then retry.`,
      retryable: true, code,
    };
  }
  if (/Could not load credentials from any providers/i.test(message) || code === 'CredentialsProviderError') {
    return {
      kind: 'noCredentials', summary,
      reason: `No AWS credentials were found for ${profileLabel(context)}: ${message}`,
      fix: 'Configure credentials with `aws configure` or `aws configure sso`, or choose a profile that has them.',
      command: shellCommand(['aws', 'configure', ...(context.profile ? ['--profile', context.profile] : [])]), retryable: false, code,
    };
  }
  if (code && EXPIRED_CODES.has(code)) {
    return {
      kind: 'expiredCredentials', summary,
      reason: `The credentials of ${profileLabel(context)} have expired (${code}).`,
      fix: 'Refresh the credentials (for example sign in again or renew the session token), then retry.',
      retryable: true, code,
    };
  }
  if (code && INVALID_CREDENTIAL_CODES.has(code)) {
    return {
      kind: 'invalidCredentials', summary,
      reason: `AWS rejected the credentials of ${profileLabel(context)}${context.region ? ` in ${context.region}` : ''}: ${message}`,
      fix: context.region && !context.region.startsWith('us-') && code === 'UnrecognizedClientException'
        ? `Check the access key, and that the region ${context.region} is enabled for the account (opt-in regions must be enabled first).`
        : 'Check the access key and secret of this profile, or choose another profile.',
      retryable: false, code,
    };
  }
  if (code === 'AccessDeniedException' || code === 'AccessDenied' || code === 'UnauthorizedOperation' || e.$metadata?.httpStatusCode === 403) {
    const action = /perform: ([a-z0-9-]+:[A-Za-z0-9]+)/.exec(message)?.[1] ?? context.action;
    return {
      kind: 'accessDenied', summary,
      reason: action ? `The identity is not allowed to call ${action}${context.region ? ` in ${context.region}` : ''}.` : `Access denied: ${message}`,
      fix: action
        ? `Ask your AWS administrator to allow ${action} for this identity, or choose a profile that has it.`
        : 'Ask your AWS administrator for the missing permission, or choose another profile.',
      retryable: false, code,
    };
  }
  if (isThrottlingError(e)) {
    return {
      kind: 'throttled', summary,
      reason: `AWS throttled the requests${context.region ? ` in ${context.region}` : ''} (${code ?? 'rate exceeded'}).`,
      fix: 'Wait a moment and retry; lower the refresh frequency if this keeps happening.',
      retryable: true, code,
    };
  }
  const network = networkCode(e);
  if (network) {
    return {
      kind: 'unreachable', summary,
      reason: `The AWS endpoint${context.region ? ` for ${context.region}` : ''} could not be reached (${network}).`,
      fix: 'Check the network, proxy and any AWS_ENDPOINT_URL or endpoint_url setting, then retry.',
      retryable: true, code: network,
    };
  }
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) {
    return {
      kind: 'server', summary,
      reason: `AWS answered with a server error (${code ?? status}): ${message}`,
      fix: 'This is usually temporary: retry in a moment.',
      retryable: true, code,
    };
  }
  if (code === 'ResourceNotFoundException' || code === 'NotFoundException' || code === 'NoSuchEntity' || status === 404) {
    return { kind: 'notFound', summary, reason: message, fix: 'Refresh the view: the resource no longer exists.', retryable: false, code };
  }
  if (code === 'InvalidParameterException' || code === 'InvalidRequestException' || code === 'ValidationException' || status === 400) {
    return { kind: 'invalidInput', summary, reason: message, fix: 'Correct the input named in the message and try again.', retryable: false, code };
  }
  return { kind: 'unknown', summary, reason: message || 'Unknown error.', fix: 'Retry; if it keeps failing, open the log for details.', retryable: true, code };
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** One line for notifications and tree nodes: "Listing clusters in eu-west-1 failed: <reason> <fix>". */
export function formatDescribedError(d: DescribedError): string {
  return [`${d.summary}: ${d.reason}`, d.fix].filter(Boolean).join(' ');
}

/** A short label for a tree node; the tooltip carries the full reason and fix. */
export function errorHeadline(d: DescribedError): string {
  switch (d.kind) {
    case 'accessDenied': {
      const action = /call ([a-z0-9-]+:[A-Za-z0-9]+)/.exec(d.reason)?.[1];
      return action ? `Access denied: ${action}` : 'Access denied';
    }
    case 'ssoExpired': return d.command ? `SSO session expired — run ${d.command}` : 'SSO session expired';
    case 'expiredCredentials': return 'Credentials expired';
    case 'invalidCredentials': return 'Credentials rejected by AWS';
    case 'noCredentials': return 'No AWS credentials';
    case 'unknownProfile': return 'Unknown AWS profile';
    case 'credentialProcessFailed': return 'credential_process failed';
    case 'throttled': return 'Throttled by AWS';
    case 'unreachable': return `Endpoint unreachable (${d.code ?? 'network error'})`;
    case 'server': return 'AWS server error';
    default: return d.summary;
  }
}

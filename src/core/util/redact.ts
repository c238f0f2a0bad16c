// Keeps secrets out of logs and messages. Known secrets (an activation code once it is known) are masked
// verbatim and in their base64 form; well-known secret-bearing fields are masked by pattern whatever their value,
// and so are values shaped like an AWS secret access key or a session token even without their field name.
// Shapes are a second line only: text that may hold a secret in no recognisable shape (a line of an AWS config
// file) is never logged at all.

const MASK = '<redacted>';

const FIELD_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  // JSON fields: "activationCode": "...", "SecretAccessKey": "...", "token": "..."
  [/("(?:activationCode|ActivationCode|code|SecretAccessKey|secretAccessKey|SessionToken|sessionToken|token|accessToken|refreshToken|clientSecret|password)"\s*:\s*)"(?:[^"\\]|\\.)*"/g, `$1"${MASK}"`],
  // ini / env / YAML style: aws_secret_access_key = ..., token: ...
  [/\b(aws_secret_access_key|aws_session_token|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|activation[-_.]?code|client-key-data|token)(\s*[:=]\s*)("?)[^\s"',}]+\3/gi, `$1$2$3${MASK}$3`],
  [/\bBearer\s+[A-Za-z0-9\-._~+/]+=*/g, `Bearer ${MASK}`],
  [/(Signature=)[0-9a-f]{16,}/g, `$1${MASK}`],
  [/(X-Amz-Security-Token=)[^&\s]+/gi, `$1${MASK}`],
  [/\b(--activation\.code=)\S+/g, `$1${MASK}`],
];

const BASE64_RUN = /(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{40,}={0,2}(?![A-Za-z0-9+/=])/g;
/** Secret access keys are exactly 40 base64 characters; session tokens are hundreds. */
const SECRET_KEY_LENGTH = 40;
const TOKEN_MIN_LENGTH = 100;

/** A secret key or token mixes upper and lower case and digits; hashes (hex) and words do not. */
function looksLikeSecret(run: string): boolean {
  const length = run.replace(/=+$/, '').length;
  if (length !== SECRET_KEY_LENGTH && length < TOKEN_MIN_LENGTH) return false;
  return /[A-Z]/.test(run) && /[a-z]/.test(run) && /[0-9]/.test(run);
}

export class SecretRedactor {
  private readonly secrets = new Set<string>();

  /** Registers a value to mask wherever it appears, raw or base64-encoded. Short values are refused (too common). */
  add(secret: string | undefined): void {
    if (!secret || secret.length < 8) return;
    this.secrets.add(secret);
    this.secrets.add(Buffer.from(secret, 'utf8').toString('base64'));
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join(MASK);
    }
    for (const [pattern, replacement] of FIELD_PATTERNS) out = out.replace(pattern, replacement);
    return out.replace(BASE64_RUN, (run) => (looksLikeSecret(run) ? MASK : run));
  }
}

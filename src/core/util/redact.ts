// Keeps secrets out of logs and messages. Known secrets (an activation code once it is known) are masked
// verbatim and in their base64 form; well-known secret-bearing fields are masked by pattern whatever their value.

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
    return out;
  }
}

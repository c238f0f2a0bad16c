import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  configuredEndpointUrl, describeIniProblem, lintAwsConfigFiles, lintIni, listProfiles, profileRegion, type IniProblem,
} from '../../src/core/aws/awsConfig';
import { SecretRedactor } from '../../src/core/util/redact';

/** Points the SDK's shared-file loader at temporary files for one test. */
function withAwsFiles(config: string, credentials = ''): () => void {
  const dir = mkdtempSync(path.join(tmpdir(), 'eksc-aws-'));
  writeFileSync(path.join(dir, 'config'), config);
  writeFileSync(path.join(dir, 'credentials'), credentials);
  const saved = { ...process.env };
  process.env.AWS_CONFIG_FILE = path.join(dir, 'config');
  process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(dir, 'credentials');
  for (const k of ['AWS_PROFILE', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_EKS', 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS']) delete process.env[k];
  return () => {
    process.env = saved;
    rmSync(dir, { recursive: true, force: true });
  };
}

const CONFIG = `[default]
region = us-west-2
[profile sandbox]
region = eu-west-1
endpoint_url = http://127.0.0.1:4566
[profile corp]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Admin
services = local
[sso-session corp]
sso_start_url = https://example.invalid/start
sso_region = us-east-1
[services local]
eks =
  endpoint_url = http://127.0.0.1:9999
`;

describe('AWS shared config', () => {
  let restore: () => void;
  afterEach(() => restore?.());

  it('lists profiles from both files with their credential source', async () => {
    restore = withAwsFiles(CONFIG, '[ci]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n');
    const profiles = await listProfiles();
    assert.deepEqual(profiles.map((p) => p.name), ['default', 'ci', 'corp', 'sandbox']);
    assert.equal(profiles.find((p) => p.name === 'corp')?.source, 'sso');
    assert.equal(profiles.find((p) => p.name === 'ci')?.source, 'static');
    assert.equal(profiles.find((p) => p.name === 'sandbox')?.hasEndpointUrl, true);
  });

  it('reads a profile region, letting AWS_REGION win', async () => {
    restore = withAwsFiles(CONFIG);
    assert.equal(await profileRegion('sandbox'), 'eu-west-1');
    assert.equal(await profileRegion(undefined), 'us-west-2');
    process.env.AWS_REGION = 'ap-south-1';
    assert.equal(await profileRegion('sandbox'), 'ap-south-1');
  });

  it('resolves endpoint_url for an explicitly chosen profile, as the SDK conventions say', async () => {
    restore = withAwsFiles(CONFIG);
    assert.equal(await configuredEndpointUrl('EKS', 'sandbox'), 'http://127.0.0.1:4566');
    assert.equal(await configuredEndpointUrl('EKS', 'corp'), 'http://127.0.0.1:9999', 'services section wins for its service');
    assert.equal(await configuredEndpointUrl('SSM', 'corp'), undefined);
    assert.equal(await configuredEndpointUrl('EKS', 'default'), undefined);
    process.env.AWS_ENDPOINT_URL_EKS = 'http://127.0.0.1:1111';
    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:2222';
    assert.equal(await configuredEndpointUrl('EKS', 'sandbox'), 'http://127.0.0.1:1111', 'service env var first');
    assert.equal(await configuredEndpointUrl('SSM', 'sandbox'), 'http://127.0.0.1:2222', 'then the global env var');
    process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS = 'true';
    assert.equal(await configuredEndpointUrl('EKS', 'sandbox'), undefined);
  });

  it('names the lines the SDK would silently skip', () => {
    const problems = lintIni('/home/u/.aws/config', '[default]\nregion = us-west-2\ngarbage line\n[profile broken\n# comment\n[ok]\nkey=value\n');
    assert.deepEqual(problems.map((p) => [p.file, p.line]), [['/home/u/.aws/config', 3], ['/home/u/.aws/config', 4]]);
    assert.match(problems[1].problem, /section header/);
    assert.deepEqual(lintIni('f', CONFIG), []);
  });

  describe('a malformed line that is a secret', () => {
    // The example key of the AWS documentation, and a session token of realistic length in standard base64.
    const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const SESSION_TOKEN = `IQoJb3JpZ2luX2VjE${randomBytes(300).toString('base64').replace(/=+$/, '')}`;
    // As a user's editor would leave them: the key pasted on a line of its own, the token wrapped at 76 columns
    // (one continuation line indented), and a fragment with no mixed case that no shape-based redaction can spot.
    const tokenLines = SESSION_TOKEN.match(/.{1,76}/g)!;
    const CREDENTIALS = [
      '[default]',
      'aws_access_key_id = AKIAIOSFODNN7EXAMPLE',
      SECRET_KEY,
      `aws_session_token = ${tokenLines[0]}`,
      tokenLines[1],
      `  ${tokenLines[2]}`,
      ...tokenLines.slice(3),
      'x9y8z7w6',
    ].join('\n');

    /** Every 8-character piece of a secret: none may appear in what is shown. */
    const fragments = (secret: string) => Array.from({ length: secret.length - 7 }, (_, i) => secret.slice(i, i + 8));
    const assertNoFragment = (shown: string, what: string) => {
      for (const secret of [SECRET_KEY, SESSION_TOKEN, 'x9y8z7w6']) {
        const leaked = fragments(secret).find((f) => shown.includes(f));
        assert.equal(leaked, undefined, `${what} carries "${leaked}" of a secret: ${shown}`);
      }
    };

    let problems: IniProblem[];
    let credentialsFile: string;
    beforeEach(async () => {
      restore = withAwsFiles(CONFIG, CREDENTIALS);
      credentialsFile = process.env.AWS_SHARED_CREDENTIALS_FILE!;
      problems = await lintAwsConfigFiles({ configFile: process.env.AWS_CONFIG_FILE!, credentialsFile, ssoCacheDir: '/nonexistent' });
    });

    it('is reported by file and line number only', () => {
      const expectedLines = [3, 5, 6, ...tokenLines.slice(3).map((_, i) => 7 + i), 7 + tokenLines.length - 3];
      assert.deepEqual(problems.map((p) => [p.file, p.line]), expectedLines.map((line) => [credentialsFile, line]));
      assertNoFragment(JSON.stringify(problems), 'the problem list');
    });

    it('reaches the log as file and line, with no fragment of the key or the token', () => {
      // The path the extension logs them by (AwsConnection: describeIniProblem, then the logger's redactor).
      const lines = problems.map((p) => new SecretRedactor().redact(describeIniProblem(p)));
      assert.equal(lines[0], `${credentialsFile} line 3: a setting must look like key = value; the AWS SDK skips this line. Open the file at that line to fix it.`);
      for (const line of lines) assertNoFragment(line, 'the log line');
    });
  });
});

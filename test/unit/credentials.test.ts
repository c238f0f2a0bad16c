// Credential failures as the real AWS SDK credential chain produces them, turned into user guidance.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AwsSession } from '../../src/core/aws/session';
import { describeAwsError } from '../../src/core/aws/errors';
import { startEmulator, type RunningEmulator } from '../../emulator/src/server';

function isolatedHome(config: string, credentials = ''): { home: string; restore: () => void } {
  const home = mkdtempSync(path.join(tmpdir(), 'eksc-home-'));
  mkdirSync(path.join(home, '.aws', 'sso', 'cache'), { recursive: true });
  writeFileSync(path.join(home, '.aws', 'config'), config);
  writeFileSync(path.join(home, '.aws', 'credentials'), credentials);
  const saved = { ...process.env };
  for (const key of Object.keys(process.env)) if (key.startsWith('AWS_')) delete process.env[key];
  Object.assign(process.env, { HOME: home, AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });
  return { home, restore: () => { process.env = saved; rmSync(home, { recursive: true, force: true }); } };
}

describe('credentials (real SDK credential chain)', function () {
  this.timeout(30_000);
  let restore: (() => void) | undefined;
  let emulator: RunningEmulator | undefined;
  afterEach(async () => {
    restore?.();
    restore = undefined;
    await emulator?.close();
    emulator = undefined;
  });

  it('an expired IAM Identity Center session tells the exact aws sso login command', async () => {
    const env = isolatedHome(`[profile corp]
sso_session = corp-sso
sso_account_id = 111122223333
sso_role_name = PlatformAdmin
region = us-west-2
[sso-session corp-sso]
sso_start_url = https://corp.awsapps.invalid/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access
`);
    restore = env.restore;
    // The SDK names the token cache file after the SHA-1 of the session name; no refresh token, so no network.
    const cacheFile = path.join(env.home, '.aws', 'sso', 'cache', `${createHash('sha1').update('corp-sso').digest('hex')}.json`);
    writeFileSync(cacheFile, JSON.stringify({ startUrl: 'https://corp.awsapps.invalid/start', region: 'us-east-1', accessToken: 'expired-token', expiresAt: '2020-01-01T00:00:00Z' }));
    const session = new AwsSession({ profile: 'corp' });
    try {
      const error = await session.callerIdentity('us-west-2').then(() => undefined, (e: unknown) => e);
      assert.ok(error, 'the call must fail');
      const described = describeAwsError(error, { activity: 'Reading the AWS identity', profile: 'corp' });
      assert.equal(described.kind, 'ssoExpired', `got ${described.kind}: ${described.reason}`);
      assert.equal(described.command, 'aws sso login --profile corp');
    } finally {
      session.dispose();
    }
  });

  it('a profile that does not exist is reported as an unknown profile', async () => {
    restore = isolatedHome('[default]\nregion = us-west-2\n').restore;
    const session = new AwsSession({ profile: 'typo' });
    try {
      const error = await session.callerIdentity('us-west-2').then(() => undefined, (e: unknown) => e);
      const described = describeAwsError(error, { activity: 'Reading the AWS identity', profile: 'typo' });
      assert.ok(['unknownProfile', 'noCredentials'].includes(described.kind), described.kind);
      assert.match(described.reason, /typo/);
    } finally {
      session.dispose();
    }
  });

  it('uses a profile with credential_process and the profile endpoint_url, without AWS_PROFILE', async () => {
    emulator = await startEmulator({ seed: { identities: [{ accessKeyId: 'AKIAPROCESS000000001', arn: 'arn:aws:iam::000000000000:user/from-process' }] } });
    const helperDir = mkdtempSync(path.join(tmpdir(), 'eksc-proc-'));
    const helper = path.join(helperDir, 'creds.sh');
    writeFileSync(helper, '#!/bin/sh\necho \'{"Version": 1, "AccessKeyId": "AKIAPROCESS000000001", "SecretAccessKey": "s"}\'\n', { mode: 0o755 });
    const restoreHome = isolatedHome(`[profile tooling]
region = eu-west-1
credential_process = ${helper}
endpoint_url = ${emulator.url}
`).restore;
    restore = () => {
      restoreHome();
      rmSync(helperDir, { recursive: true, force: true });
    };
    const session = new AwsSession({ profile: 'tooling' });
    try {
      const identity = await session.callerIdentity('eu-west-1');
      assert.equal(identity.arn, 'arn:aws:iam::000000000000:user/from-process');
    } finally {
      session.dispose();
    }
  });

  it('assumes a role through role_arn + source_profile and reports the assumed-role identity', async () => {
    emulator = await startEmulator({ seed: { identities: [{ accessKeyId: 'AKIABASE000000000001', arn: 'arn:aws:iam::000000000000:user/base' }] } });
    restore = isolatedHome(`[profile base]
region = us-west-2
[profile admin]
role_arn = arn:aws:iam::000000000000:role/Admin
source_profile = base
role_session_name = vscode
region = us-west-2
endpoint_url = ${emulator.url}
`, '[base]\naws_access_key_id = AKIABASE000000000001\naws_secret_access_key = s\n').restore;
    const session = new AwsSession({ profile: 'admin' });
    try {
      const identity = await session.callerIdentity('us-west-2');
      assert.equal(identity.arn, 'arn:aws:sts::000000000000:assumed-role/Admin/vscode');
    } finally {
      session.dispose();
    }
  });
});

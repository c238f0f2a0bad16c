import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { configuredEndpointUrl, lintIni, listProfiles, profileRegion } from '../../src/core/aws/awsConfig';

/** Points the SDK's shared-file loader at temporary files for one test. */
function withAwsFiles(config: string, credentials = ''): () => void {
  const dir = mkdtempSync(path.join(tmpdir(), 'eksc-aws-'));
  writeFileSync(path.join(dir, 'config'), config);
  writeFileSync(path.join(dir, 'credentials'), credentials);
  const saved = { ...process.env };
  process.env.AWS_CONFIG_FILE = path.join(dir, 'config');
  process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(dir, 'credentials');
  for (const k of ['AWS_PROFILE', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_EKS', 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS']) delete process.env[k];
  return () => { process.env = saved; };
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
    assert.deepEqual(problems.map((p) => [p.line, p.text]), [[3, 'garbage line'], [4, '[profile broken']]);
    assert.deepEqual(lintIni('f', CONFIG), []);
  });
});

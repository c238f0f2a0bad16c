import assert from 'node:assert/strict';
import { describeAwsError, errorHeadline, formatDescribedError, isThrottlingError, isTransientError } from '../../src/core/aws/errors';

function sdkError(name: string, message: string, status?: number, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status }, ...extra });
}

describe('AWS error descriptions', () => {
  const ctx = { activity: 'Listing clusters in eu-west-1', region: 'eu-west-1', profile: 'dev', action: 'eks:ListClusters' };

  it('names the denied action and the region', () => {
    const d = describeAwsError(sdkError('AccessDeniedException', 'User: arn:aws:iam::1:user/a is not authorized to perform: eks:ListClusters on resource: arn:aws:eks:eu-west-1:1:cluster/*', 403), ctx);
    assert.equal(d.kind, 'accessDenied');
    assert.match(d.reason, /eks:ListClusters in eu-west-1/);
    assert.match(d.fix, /allow eks:ListClusters/);
    assert.equal(errorHeadline(d), 'Access denied: eks:ListClusters');
    assert.equal(d.summary, 'Listing clusters in eu-west-1 failed');
  });

  it('tells the exact aws sso login command for an expired SSO session', () => {
    const d = describeAwsError(new Error('The SSO session associated with this profile has expired or is otherwise invalid. To refresh this SSO session run aws sso login with the corresponding profile.'), ctx);
    assert.equal(d.kind, 'ssoExpired');
    assert.equal(d.command, 'aws sso login --profile dev');
    assert.match(formatDescribedError(d), /aws sso login --profile dev/);
  });

  it('recognises throttling, server errors and dropped connections as retryable', () => {
    const throttled = sdkError('ThrottlingException', 'Rate exceeded', 429, { $retryable: { throttling: true } });
    assert.equal(isThrottlingError(throttled), true);
    assert.equal(describeAwsError(throttled, ctx).kind, 'throttled');
    assert.equal(isTransientError(sdkError('ServiceUnavailableException', 'x', 503)), true);
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    assert.equal(isTransientError(reset), true);
    const d = describeAwsError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }), ctx);
    assert.equal(d.kind, 'unreachable');
    assert.match(d.reason, /eu-west-1/);
    assert.equal(isTransientError(sdkError('AccessDeniedException', 'no', 403)), false);
  });

  it('separates missing credentials from an unknown profile', () => {
    assert.equal(describeAwsError(new Error('Could not load credentials from any providers'), ctx).kind, 'noCredentials');
    const unknown = describeAwsError(new Error('Could not resolve credentials using profile: [dev] in configuration/credentials file(s).'), ctx);
    assert.equal(unknown.kind, 'unknownProfile');
    assert.match(unknown.reason, /profile "dev" is not defined/i);
  });

  it('reports a failed credential_process by profile, never echoing its command line or output', () => {
    const secretArg = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const error = Object.assign(new Error(`Command failed: /opt/bin/get-creds --secret ${secretArg}\ntoken=${secretArg}\n`), { name: 'CredentialsProviderError' });
    const d = describeAwsError(error, ctx);
    assert.equal(d.kind, 'credentialProcessFailed');
    assert.match(d.reason, /credential_process of profile "dev" failed/);
    assert.match(d.fix, /credential_process command of profile "dev"/);
    const shown = JSON.stringify(d);
    assert.ok(!shown.includes('get-creds') && !shown.includes(secretArg), `the config line leaked: ${shown}`);
  });

  it('treats cancellation as its own kind', () => {
    const abort = Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    assert.equal(describeAwsError(abort, ctx).kind, 'cancelled');
    assert.equal(isTransientError(abort), false);
  });
});

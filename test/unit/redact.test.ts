import assert from 'node:assert/strict';
import { SecretRedactor } from '../../src/core/util/redact';

describe('secret redaction', () => {
  it('masks a registered secret raw and base64-encoded', () => {
    const r = new SecretRedactor();
    r.add('vQ3kPz8mTy1RsW2xYz9aBcDe');
    const encoded = Buffer.from('vQ3kPz8mTy1RsW2xYz9aBcDe').toString('base64');
    const out = r.redact(`code vQ3kPz8mTy1RsW2xYz9aBcDe and secret data.code: ${encoded}`);
    assert.doesNotMatch(out, /vQ3kPz8mTy1RsW2xYz9aBcDe/);
    assert.ok(!out.includes(encoded));
  });

  it('masks secret-bearing fields whatever their value', () => {
    const r = new SecretRedactor();
    const out = r.redact('{"activationCode":"abc\\"def","name":"x"} aws_secret_access_key = wJalrXUtnFEMI token: eyJhbGci Authorization: Bearer abc.def-ghi --activation.code=zzz');
    assert.doesNotMatch(out, /abc\\"def|wJalrXUtnFEMI|eyJhbGci|abc\.def-ghi|zzz/);
    assert.match(out, /"name":"x"/, 'other fields are untouched');
  });

  it('masks a bare secret access key and a session token that carry no field name', () => {
    const r = new SecretRedactor();
    const key = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const token = `FwoGZXIvYXdzEBYaDK${'Ab3+cD4/eF5g'.repeat(12)}==`;
    const out = r.redact(`line 3 is ${key}; then "${token}" and (${key})`);
    assert.equal(out, 'line 3 is <redacted>; then "<redacted>" and (<redacted>)');
  });

  it('leaves hashes, digests, ARNs, key ids and paths that only look long', () => {
    const r = new SecretRedactor();
    const text = [
      'commit 0123456789abcdef0123456789abcdef01234567',
      `image registry.example.com/eks-connector@sha256:${'a1b2c3d4'.repeat(8)}`,
      'arn:aws:iam::111122223333:role/AmazonEKSConnectorAgentRole',
      'aws_access_key_id AKIAIOSFODNN7EXAMPLE',
      '/home/user/.aws/config line 3',
      'UPPERCASEONLYWORDSANDDIGITS0123456789ABC',
    ].join('\n');
    assert.equal(r.redact(text), text);
  });

  it('ignores values too short to be secrets', () => {
    const r = new SecretRedactor();
    r.add('abc');
    assert.equal(r.redact('abc abc'), 'abc abc');
  });
});

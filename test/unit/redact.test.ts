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

  it('ignores values too short to be secrets', () => {
    const r = new SecretRedactor();
    r.add('abc');
    assert.equal(r.redact('abc abc'), 'abc abc');
  });
});

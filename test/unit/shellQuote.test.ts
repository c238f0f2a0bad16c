import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { shellCommand, shellQuote } from '../../src/core/util/shellQuote';
import { describeAwsError, ssoLoginArgs } from '../../src/core/aws/errors';
import { logsCommand } from '../../src/core/connector/podProblems';

/** The POSIX shells on this machine that a user might paste a shown command into. */
const SHELLS = ['/bin/sh', '/bin/dash', '/bin/bash', '/usr/bin/zsh'].filter((s) => existsSync(s));

/**
 * Runs a shown command line in a real shell with its program replaced by a function that prints each argument
 * NUL-terminated, and returns the arguments the shell actually passed.
 */
function argumentsAsRun(shell: string, program: string, commandLine: string, cwd: string): string[] {
  assert.ok(commandLine.startsWith(`${program} `), commandLine);
  const script = `${program}() { printf '%s\\0' "$@"; }\n${commandLine}`;
  const out = execFileSync(shell, ['-c', script], { cwd, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: cwd } });
  return out.split('\0').slice(0, -1);
}

describe('shell quoting of the commands shown to the user', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(path.join(tmpdir(), 'eksc-quote-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const HOSTILE = [
    'x; rm -rf ~', '$(touch pwned)', '`touch pwned`', "it's", 'a"b', '~root', '*', 'a b\nc', '!!', '=ls', '', '-n', 'p|touch pwned', '$HOME',
  ];

  it('leaves plain names bare and quotes the rest', () => {
    assert.equal(shellCommand(['kubectl', 'logs', 'eks-connector-0', '-n', 'eks-connector']), 'kubectl logs eks-connector-0 -n eks-connector');
    assert.equal(shellQuote('arn:aws:eks:us-west-2:1:cluster/x'), 'arn:aws:eks:us-west-2:1:cluster/x');
    assert.equal(shellQuote('x; rm -rf ~'), "'x; rm -rf ~'");
    assert.equal(shellQuote("it's"), "'it'\\''s'");
    assert.equal(shellQuote(''), "''");
  });

  it('every hostile argument reaches the program as exactly one argument, unchanged, in every shell', () => {
    assert.ok(SHELLS.length > 0, 'no POSIX shell to check with');
    for (const shell of SHELLS) {
      const args = argumentsAsRun(shell, 'prog', shellCommand(['prog', ...HOSTILE]), dir);
      assert.deepEqual(args, HOSTILE, shell);
    }
    assert.ok(!existsSync(path.join(dir, 'pwned')), 'no command substitution ran');
  });

  it('the aws sso login advice for a profile named "x; rm -rf ~" or "$(…)" keeps the name one argument', () => {
    const expired = new Error('The SSO session associated with this profile has expired or is otherwise invalid.');
    for (const profile of ['x; rm -rf ~', '$(touch pwned)', 'dev']) {
      const d = describeAwsError(expired, { activity: 'Listing clusters', profile });
      assert.equal(d.kind, 'ssoExpired');
      assert.ok(d.fix.includes(`\`${d.command}\``), 'the fix names the same command');
      for (const shell of SHELLS) assert.deepEqual(argumentsAsRun(shell, 'aws', d.command!, dir), ['sso', 'login', '--profile', profile], shell);
      // The Sign In Again command runs this argument vector itself, without a shell.
      assert.deepEqual(ssoLoginArgs(profile), ['aws', 'sso', 'login', '--profile', profile]);
    }
    assert.equal(describeAwsError(expired, { activity: 'Listing clusters', profile: 'x; rm -rf ~' }).command, "aws sso login --profile 'x; rm -rf ~'");
    assert.deepEqual(ssoLoginArgs(undefined), ['aws', 'sso', 'login']);
    const missing = describeAwsError(new Error('Could not load credentials from any providers'), { activity: 'Listing clusters', profile: '$(id)' });
    assert.deepEqual(argumentsAsRun(SHELLS[0], 'aws', missing.command!, dir), ['configure', '--profile', '$(id)']);
    assert.ok(!existsSync(path.join(dir, 'pwned')));
  });

  it('the kubectl logs advice quotes the context, pod and namespace', () => {
    const problem = { pod: 'eks-connector-0', state: 'Init:CrashLoopBackOff', message: '', persistent: true };
    const context = 'arn:aws:eks:us-west-2:1:cluster/a b;touch pwned';
    const command = logsCommand(problem, 'eks-connector', context);
    assert.equal(command, "kubectl --context 'arn:aws:eks:us-west-2:1:cluster/a b;touch pwned' logs eks-connector-0 -c connector-init -n eks-connector");
    assert.deepEqual(argumentsAsRun(SHELLS[0], 'kubectl', command, dir), ['--context', context, 'logs', 'eks-connector-0', '-c', 'connector-init', '-n', 'eks-connector']);
    assert.ok(!existsSync(path.join(dir, 'pwned')));
  });
});

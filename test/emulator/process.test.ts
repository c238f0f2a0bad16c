// The emulator as a child process (the helper the sandbox, the VS Code bench and the benchmarks use): its seed,
// which may hold access keys, must not stay in the temp folder once the emulator has read it.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { emulatorClientConfig } from '../../emulator/src/client-config';
import type { Seed } from '../../emulator/src/seed';
import { spawnEmulator, type EmulatorProcess } from '../support/emulatorProcess';

const KEY = 'AKIASEEDFILETEST0001';
/** What is left in the test's temp folder, but for the compile cache tsx keeps there (tsx-<uid>, reused by design). */
const leftIn = (dir: string) => readdirSync(dir).filter((name) => !/^tsx-\d+$/.test(name));

const SEED: Seed = { accountId: '111122223333', identities: [{ accessKeyId: KEY, secretAccessKey: 'seed-file-secret', arn: 'arn:aws:iam::111122223333:user/seeded' }] };

describe('emulator process helper: temp folders', function () {
  this.timeout(60_000);
  const savedTmpdir = process.env.TMPDIR;
  let temp: string;
  let emulator: EmulatorProcess | undefined;

  beforeEach(() => {
    // A temp folder of our own (os.tmpdir() follows TMPDIR), so other processes' files do not count.
    temp = mkdtempSync(join(tmpdir(), 'eksc-process-test-'));
    process.env.TMPDIR = temp;
  });
  afterEach(async () => {
    if (savedTmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmpdir;
    await emulator?.stop();
    emulator = undefined;
    rmSync(temp, { recursive: true, force: true });
  });

  it('serves the seed it was given and leaves no seed file once it is ready', async () => {
    emulator = await spawnEmulator({ seed: SEED });
    assert.deepEqual(leftIn(temp), [], 'the seed folder (with its keys) is gone while the emulator runs');
    const sts = new STSClient(emulatorClientConfig(emulator.url, { credentials: { accessKeyId: KEY, secretAccessKey: 'seed-file-secret' }, maxAttempts: 1 }));
    assert.equal((await sts.send(new GetCallerIdentityCommand({}))).Arn, 'arn:aws:iam::111122223333:user/seeded');
    await emulator.stop();
    assert.deepEqual(leftIn(temp), []);
  });

  it('leaves no seed file when the emulator refuses the seed', async () => {
    const refused = await spawnEmulator({ seed: { regions: { 'us-west-2': { clusters: [{ name: 'no spaces allowed' }] } } } as Seed }).then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.ok(refused instanceof Error, 'a bad seed fails the start');
    assert.match(refused.message, /exited with code 2/);
    assert.deepEqual(leftIn(temp), []);
  });
});

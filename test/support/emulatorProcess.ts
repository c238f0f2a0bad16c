// Runs the AWS emulator as a separate process, the way the sandbox and the extension meet it (its CPU work then
// does not share the caller's event loop). Resolves once it prints its "listening" line.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Seed } from '../../emulator/src/seed';

export interface EmulatorProcess {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

const root = path.resolve(__dirname, '..', '..');

export async function spawnEmulator(options: { seed?: Seed; seedFile?: string; statePath?: string; port?: number } = {}): Promise<EmulatorProcess> {
  const args = ['--import', 'tsx', path.join(root, 'emulator/src/main.ts'), '--port', String(options.port ?? 0)];
  // A seed object travels as a file in a private temp folder (mode 0700: the seed may hold keys). The emulator
  // reads it once, at start, so the folder goes as soon as the emulator is ready or has failed to start.
  let seedDir: string | undefined;
  const removeSeed = () => {
    if (seedDir) rmSync(seedDir, { recursive: true, force: true });
    seedDir = undefined;
  };
  if (options.seed) {
    seedDir = mkdtempSync(path.join(tmpdir(), 'eksc-seed-'));
    const file = path.join(seedDir, 'seed.json');
    writeFileSync(file, JSON.stringify(options.seed), { mode: 0o600 });
    args.push('--seed', file);
  } else if (options.seedFile) {
    args.push('--seed', options.seedFile);
  }
  if (options.statePath) args.push('--state', options.statePath);
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  // Never outlive the caller, however it ends (nor leave the seed behind if it ends during start-up).
  const killOnExit = () => {
    child.kill('SIGKILL');
    removeSeed();
  };
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  const ready = new Promise<string>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`The AWS emulator exited with code ${code} before it was ready:\n${output}`)));
    setTimeout(() => reject(new Error(`The AWS emulator did not report ready within 30 s:\n${output}`)), 30_000).unref();
  });
  let url: string;
  try {
    url = await ready;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    removeSeed();
  }
  return { url, pid: child.pid!, stop: () => stopChild(child) };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  });
}

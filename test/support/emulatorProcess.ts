// Runs the AWS emulator as a separate process, the way the sandbox and the extension meet it (its CPU work then
// does not share the caller's event loop). Resolves once it prints its "listening" line.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
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
  if (options.seed) {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'eksc-seed-')), 'seed.json');
    writeFileSync(file, JSON.stringify(options.seed));
    args.push('--seed', file);
  } else if (options.seedFile) {
    args.push('--seed', options.seedFile);
  }
  if (options.statePath) args.push('--state', options.statePath);
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  // Never outlive the caller, however it ends.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  const url = await new Promise<string>((resolve, reject) => {
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

// Runs UI test files (test/vscode/ui/*.ui.ts): mocha in plain Node, each file driving code-server + Chromium
// through the harness. Must run under tsx (npx tsx ...) so mocha can import the .ts files.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import { REPO_ROOT } from './codeServer';

export const UI_TESTS_DIR = path.join(REPO_ROOT, 'test', 'vscode', 'ui');

export interface UiTestsResult {
  ok: boolean;
  passed: number;
  failed: number;
  pending: number;
  failures: { title: string; error: string }[];
  files: string[];
  durationMs: number;
}

export function findUiTestFiles(dir = UI_TESTS_DIR): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.ui.ts'))
    .sort()
    .map((f) => path.join(dir, f));
}

export async function runUiTests(options: { files?: string[]; grep?: string; timeoutMs?: number } = {}): Promise<UiTestsResult> {
  const started = Date.now();
  const files = options.files ?? findUiTestFiles();
  const result: UiTestsResult = { ok: true, passed: 0, failed: 0, pending: 0, failures: [], files, durationMs: 0 };
  if (files.length === 0) return result;
  const mocha = new Mocha({
    ui: 'bdd',
    reporter: 'spec',
    timeout: options.timeoutMs ?? 120_000,
    ...(options.grep ? { grep: options.grep } : {}),
  });
  for (const f of files) mocha.addFile(f);
  try {
    await mocha.loadFilesAsync(); // import(): tsx compiles the .ts test files
    const failures = await new Promise<number>((resolve) => {
      const runner = mocha.run(resolve);
      runner.on(Mocha.Runner.constants.EVENT_TEST_PASS, () => result.passed++);
      runner.on(Mocha.Runner.constants.EVENT_TEST_PENDING, () => result.pending++);
      runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, (test, err) => {
        result.failed++;
        result.failures.push({ title: test.fullTitle(), error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      });
    });
    result.failed = Math.max(result.failed, failures);
  } catch (err) {
    result.failed++;
    result.failures.push({ title: '(loading UI test files)', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  } finally {
    mocha.dispose();
  }
  result.ok = result.failed === 0;
  result.durationMs = Date.now() - started;
  return result;
}

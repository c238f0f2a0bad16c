// The in-host test entry: VS Code loads the compiled bundle (out/test/vscode/index.js, built by
// scripts/build.mjs with `vscode` external) as `extensionTestsPath` and calls run() inside the real extension
// host. Results go to the JSON file named by EKS_VSCODE_TEST_RESULTS (the code-server harness waits for it);
// run() rejects when a test failed, which makes the extension host exit non-zero.
//
// The same bundle also works as a plain test file under @vscode/test-cli (.vscode-test.mjs), whose runner has
// already created mocha (BDD UI) and its globals before loading us: then we only register the tests.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export interface TestFailure {
  title: string;
  error: string;
}

export interface TestResults {
  passed: number;
  failed: number;
  pending: number;
  durationMs: number;
  failures: TestFailure[];
  tests: { title: string; state: 'passed' | 'failed' | 'pending'; durationMs: number }[];
}

function loadTests(): void {
  // A synchronous require on purpose: the test modules call describe() while they evaluate, so they must run
  // after mocha's `pre-require` has installed the globals. esbuild bundles ./all and evaluates it lazily here.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('./all');
}

const loadedByOuterMocha = typeof (globalThis as { describe?: unknown }).describe === 'function';
if (loadedByOuterMocha) loadTests();

function errorText(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return String(err);
}

function writeResults(results: TestResults): void {
  const file = process.env.EKS_VSCODE_TEST_RESULTS;
  if (!file) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Write then rename: the harness must never read a half-written file.
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(results, null, 2));
  fs.renameSync(tmp, file);
}

export async function run(): Promise<void> {
  const started = Date.now();
  const results: TestResults = { passed: 0, failed: 0, pending: 0, durationMs: 0, failures: [], tests: [] };
  try {
    const grep = process.env.EKS_VSCODE_TEST_GREP;
    const mocha = new Mocha({
      ui: 'bdd',
      color: false,
      reporter: 'spec', // goes to the extension host's console (the browser console log in the harness)
      timeout: Number(process.env.EKS_VSCODE_TEST_TIMEOUT_MS ?? 30_000),
      ...(grep ? { grep } : {}),
    });
    // Install describe/it on globalThis, then evaluate the statically bundled test modules.
    mocha.suite.emit(Mocha.Suite.constants.EVENT_FILE_PRE_REQUIRE, globalThis, 'test/vscode/suite/all.ts', mocha);
    loadTests();
    mocha.suite.emit(Mocha.Suite.constants.EVENT_FILE_POST_REQUIRE, globalThis, 'test/vscode/suite/all.ts', mocha);

    const failures = await new Promise<number>((resolve) => {
      const runner = mocha.run(resolve);
      runner.on(Mocha.Runner.constants.EVENT_TEST_PASS, (test) => {
        results.passed++;
        results.tests.push({ title: test.fullTitle(), state: 'passed', durationMs: test.duration ?? 0 });
      });
      runner.on(Mocha.Runner.constants.EVENT_TEST_PENDING, (test) => {
        results.pending++;
        results.tests.push({ title: test.fullTitle(), state: 'pending', durationMs: 0 });
      });
      // Also fires for failing hooks ("before all" hook ...), which count as failures.
      runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, (test, err) => {
        results.failed++;
        results.failures.push({ title: test.fullTitle(), error: errorText(err) });
        results.tests.push({ title: test.fullTitle(), state: 'failed', durationMs: test.duration ?? 0 });
      });
    });
    results.failed = Math.max(results.failed, failures);
  } catch (err) {
    // Loading or starting mocha failed: report it as a failure rather than dying silently.
    results.failed++;
    results.failures.push({ title: '(test entry) loading the suite', error: errorText(err) });
  }
  results.durationMs = Date.now() - started;
  writeResults(results);
  if (results.failed > 0) {
    throw new Error(`${results.failed} test(s) failed: ${results.failures.map((f) => f.title).join('; ')}`);
  }
}

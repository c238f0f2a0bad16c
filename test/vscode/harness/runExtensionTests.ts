// Runs the in-host integration suite in the real extension host of code-server: the workbench is opened with
// the development extension and the compiled tests entry in its `payload`; the entry's run() writes its results
// to the file named by EKS_VSCODE_TEST_RESULTS, which we wait for. Always stops the server and the browser.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { launchBrowser, openWorkbench, type BrowserSession } from './browser';
import { BenchError, startCodeServer, type CodeServer } from './codeServer';

export interface RunExtensionTestsOptions {
  extensionDevelopmentPath: string | readonly string[];
  /** The compiled in-host entry (out/test/vscode/index.js). */
  extensionTestsPath: string;
  workspaceFolder: string;
  /** Passed to the server and so to the extension host. */
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  /** Where the server log goes (default: test-results/logs/). */
  logFile?: string;
}

export interface ExtensionTestsResult {
  /** True only if the suite ran, wrote its results and nothing failed. */
  ok: boolean;
  passed: number;
  failed: number;
  pending: number;
  failures: { title: string; error: string }[];
  /** Why the run failed when it is not (only) failing tests: timeout, crash, missing results, start-up. */
  reason?: string;
  durationMs: number;
  logFile?: string;
  browserLogFile?: string;
}

interface ResultsFile {
  passed: number;
  failed: number;
  pending: number;
  failures: { title: string; error: string }[];
}

function parseResults(text: string): ResultsFile | undefined {
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'object' || v === null) return undefined;
    const r = v as Partial<Record<keyof ResultsFile, unknown>>;
    if (typeof r.passed !== 'number' || typeof r.failed !== 'number' || !Array.isArray(r.failures)) return undefined;
    const failures = r.failures.map((f: unknown) => {
      const o = (typeof f === 'object' && f !== null ? f : {}) as { title?: unknown; error?: unknown };
      return { title: String(o.title ?? '?'), error: String(o.error ?? '') };
    });
    return { passed: r.passed, failed: r.failed, pending: typeof r.pending === 'number' ? r.pending : 0, failures };
  } catch {
    return undefined;
  }
}

/** `<pid> Extension Host Process exited with code: N, signal: S.` lines of the server log (VS Code 1.100). */
export function extensionHostExits(log: string): { code: number | null; signal: string | null }[] {
  const exits: { code: number | null; signal: string | null }[] = [];
  for (const m of log.matchAll(/Extension Host Process exited with code: (\S+?), signal: (\S+?)\./g)) {
    exits.push({ code: m[1] === 'null' ? null : Number(m[1]), signal: m[2] === 'null' ? null : m[2] });
  }
  return exits;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runExtensionTests(options: RunExtensionTestsOptions): Promise<ExtensionTestsResult> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 180_000;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'eks-vscode-tests-'));
  const removeTmp = () => fs.rmSync(tmp, { recursive: true, force: true });
  process.on('exit', removeTmp); // interrupted: the finally below does not run
  const resultsFile = path.join(tmp, 'results.json');
  let server: CodeServer | undefined;
  let browser: BrowserSession | undefined;
  const result = (partial: Partial<ExtensionTestsResult>): ExtensionTestsResult => ({
    ok: false,
    passed: 0,
    failed: 0,
    pending: 0,
    failures: [],
    durationMs: Date.now() - started,
    logFile: server?.logFile ?? options.logFile,
    browserLogFile: browser?.consoleLogFile,
    ...partial,
  });

  try {
    for (const p of ([] as string[]).concat(options.extensionDevelopmentPath)) {
      if (!fs.existsSync(path.join(p, 'package.json'))) throw new BenchError('server start', `no extension at ${p} (package.json missing)`);
    }
    if (!fs.existsSync(options.extensionTestsPath)) {
      throw new BenchError('results', `tests entry not built: ${options.extensionTestsPath} (run: node scripts/build.mjs)`);
    }
    server = await startCodeServer({
      workspaceFolder: options.workspaceFolder,
      env: { ...options.env, EKS_VSCODE_TEST_RESULTS: resultsFile },
      logFile: options.logFile,
    });
    browser = await launchBrowser();
    await openWorkbench(browser, server, {
      folder: options.workspaceFolder,
      extensionDevelopmentPath: options.extensionDevelopmentPath,
      extensionTestsPath: options.extensionTestsPath,
    });

    const deadline = started + timeoutMs;
    let exitSeenAt: number | undefined;
    while (Date.now() < deadline) {
      if (fs.existsSync(resultsFile)) {
        const parsed = parseResults(fs.readFileSync(resultsFile, 'utf8'));
        if (!parsed) return result({ reason: `results file is not valid JSON: ${resultsFile}` });
        // Give the host a moment to exit, so a crash after the tests is not missed.
        const exitDeadline = Date.now() + 5000;
        let exits = extensionHostExits(server.readLog());
        while (exits.length === 0 && Date.now() < exitDeadline) {
          await sleep(200);
          exits = extensionHostExits(server.readLog());
        }
        const exit = exits[0];
        const crashed = exit !== undefined && (exit.signal !== null || (exit.code !== 0 && parsed.failed === 0));
        return result({
          ...parsed,
          ok: parsed.failed === 0 && !crashed,
          reason: crashed ? `extension host exited with code ${exit.code}, signal ${exit.signal} after the tests` : undefined,
        });
      }
      const exit = extensionHostExits(server.readLog())[0];
      if (exit) {
        // Wait briefly: the results file is written just before the host exits.
        exitSeenAt ??= Date.now();
        if (Date.now() - exitSeenAt > 3000) {
          const how = exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
          return result({ reason: `extension host ${how} without writing results (crash, or run() never reached)` });
        }
      }
      await sleep(200);
    }
    return result({ reason: `timed out after ${timeoutMs} ms waiting for ${resultsFile}` });
  } catch (err) {
    return result({ reason: err instanceof Error ? err.message : String(err) });
  } finally {
    await browser?.close().catch(() => undefined);
    if (server) {
      try {
        await server.stop();
      } catch (err) {
        // Survivors are a bench bug worth failing for; the result already returned cannot carry it, so shout.
        console.error(`runExtensionTests: ${err instanceof Error ? err.message : String(err)}`);
        process.exitCode = 1;
      }
    }
    removeTmp();
    process.removeListener('exit', removeTmp);
  }
}

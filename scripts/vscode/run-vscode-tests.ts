// The runner behind `npm run test:vscode`: installs code-server if needed, builds if needed, runs the in-host
// integration suite (out/test/vscode/index.js) in the real extension host of code-server 4.100.3
// (= VS Code 1.100.3), then the UI tests (test/vscode/ui/*.ui.ts) in Chromium. Exits non-zero on any failure,
// timeout or crash, and leaves no process behind.
//
// Usage: npx tsx scripts/vscode/run-vscode-tests.ts [--build] [--no-ui | --ui-only] [--grep <text>] [--timeout <ms>]
//   --build      rebuild (node scripts/build.mjs) even if dist/ and out/ exist (they may be stale)
//   --no-ui      integration suite only;   --ui-only   UI tests only
//   --grep       only tests whose full title contains the text (both parts)
//   --timeout    whole-run limit of the integration suite (default 300000 ms)
//   --extension  another development extension folder instead of the repo (to check the bench itself)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../../test/vscode/harness/codeServer';
import { runExtensionTests } from '../../test/vscode/harness/runExtensionTests';
import { runUiTests } from '../../test/vscode/harness/runUiTests';
import { startAwsWorld, type AwsWorld } from '../../test/vscode/fixtures/awsWorld';
import { startKubeWorld, type KubeWorld } from '../../test/vscode/fixtures/kubeWorld';

const INSTALL_SCRIPT = path.join(REPO_ROOT, 'scripts', 'vscode', 'install-code-server.sh');
const EXTENSION_MAIN = path.join(REPO_ROOT, 'dist', 'extension.js');
const TESTS_ENTRY = path.join(REPO_ROOT, 'out', 'test', 'vscode', 'index.js');

interface Args {
  build: boolean;
  ui: boolean;
  integration: boolean;
  grep?: string;
  timeoutMs: number;
  extensionPath: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { build: false, ui: true, integration: true, timeoutMs: 300_000, extensionPath: REPO_ROOT };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--build') args.build = true;
    else if (a === '--no-ui') args.ui = false;
    else if (a === '--ui-only') args.integration = false;
    else if (a === '--grep') args.grep = argv[++i];
    else if (a === '--timeout') args.timeoutMs = Number(argv[++i]);
    else if (a === '--extension') args.extensionPath = path.resolve(argv[++i]);
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

/**
 * The extension host inherits the server's environment. Keep it hermetic and on loopback: no real AWS
 * profiles, no instance-metadata calls (169.254.169.254 is not loopback), no real kubeconfig. Anything the
 * caller already set (e.g. AWS_ENDPOINT_URL of a local emulator) wins.
 */
function hermeticEnv(dir: string): Record<string, string> {
  const empty = (name: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, '');
    return f;
  };
  const defaults: Record<string, string> = {
    AWS_CONFIG_FILE: empty('aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: empty('aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9', // a closed loopback port: any unplanned AWS call fails fast
    KUBECONFIG: empty('kubeconfig'),
  };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(defaults)) env[k] = process.env[k] ?? v;
  return env;
}

function run(cmd: string, args: string[], what: string): void {
  const r = spawnSync(cmd, args, { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status ?? r.signal}); see the output above`);
}

function printFailures(failures: { title: string; error: string }[]): void {
  for (const f of failures) {
    console.log(`  ✗ ${f.title}`);
    console.log(f.error.split('\n').slice(0, 8).map((l) => `      ${l}`).join('\n'));
  }
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const t0 = Date.now();

  console.log('test:vscode ▸ code-server');
  run('bash', [INSTALL_SCRIPT], 'code-server install');

  const needed = args.extensionPath === REPO_ROOT ? [EXTENSION_MAIN, TESTS_ENTRY] : [TESTS_ENTRY];
  if (args.build || needed.some((f) => !fs.existsSync(f))) {
    console.log('test:vscode ▸ build (node scripts/build.mjs)');
    run(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build.mjs')], 'build');
  }
  for (const f of needed) {
    if (!fs.existsSync(f)) throw new Error(`${path.relative(REPO_ROOT, f)} is missing after the build`);
  }

  let ok = true;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'eks-test-vscode-'));
  // Interrupted (Ctrl-C, `timeout`): exit, so that the exit hooks run; the harness's stop the servers, this one
  // removes the folder.
  process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => process.exit(128 + (os.constants.signals[signal] ?? 1)));
  let world: AwsWorld | undefined;
  let kubeWorld: KubeWorld | undefined;
  try {
    // The AWS side: an emulator process and shared AWS files whose profiles point at it (the tests rewrite them).
    world = await startAwsWorld(tmp);
    console.log(`test:vscode ▸ AWS emulator at ${world.emulator.url}`);
    // The Kubernetes side: a real control plane to register (built by scripts/build-kube.sh, a no-op when current).
    run('bash', [path.join(REPO_ROOT, 'scripts', 'build-kube.sh')], 'the Kubernetes build');
    kubeWorld = await startKubeWorld(tmp, world.emulator.url);
    console.log(`test:vscode ▸ Kubernetes at ${kubeWorld.cluster.server}`);
    const env = { ...hermeticEnv(tmp), ...world.env, ...kubeWorld.env, AWS_ENDPOINT_URL: world.emulator.url };
    if (args.integration) {
      console.log('test:vscode ▸ integration suite in the extension host (code-server 4.100.3 = VS Code 1.100.3)');
      const workspace = path.join(tmp, 'workspace'); // empty: built-in extensions have nothing to scan
      fs.mkdirSync(workspace);
      const r = await runExtensionTests({
        extensionDevelopmentPath: args.extensionPath,
        extensionTestsPath: TESTS_ENTRY,
        workspaceFolder: workspace,
        env: { ...env, ...(args.grep ? { EKS_VSCODE_TEST_GREP: args.grep } : {}) },
        timeoutMs: args.timeoutMs,
      });
      console.log(`integration: ${r.passed} passed, ${r.failed} failed${r.pending ? `, ${r.pending} pending` : ''} (${(r.durationMs / 1000).toFixed(1)} s)`);
      printFailures(r.failures);
      if (r.reason) console.log(`integration run failed: ${r.reason}`);
      if (!r.ok) {
        console.log(`  server log: ${r.logFile}\n  browser log: ${r.browserLogFile}`);
        ok = false;
      }
    }
    if (args.ui) {
      console.log('test:vscode ▸ UI tests (test/vscode/ui/*.ui.ts, Chromium)');
      // UI test files start their own servers; they read the hermetic env from this process.
      Object.assign(process.env, env, { EKS_VSCODE_UI_EXTENSION_PATH: args.extensionPath });
      const r = await runUiTests({ grep: args.grep });
      console.log(`ui: ${r.passed} passed, ${r.failed} failed (${r.files.length} file(s), ${(r.durationMs / 1000).toFixed(1)} s)`);
      printFailures(r.failures);
      if (!r.ok) ok = false;
    }
  } finally {
    await kubeWorld?.stop();
    await world?.emulator.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log(`test:vscode ${ok ? 'passed' : 'FAILED'} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(process.exitCode && process.exitCode !== 0 ? process.exitCode : code),
  (err: unknown) => {
    console.error(`test:vscode FAILED: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);

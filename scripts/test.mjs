// `npm test`: every suite, in an order that hides the slow set-up. The Kubernetes build and the code-server install
// start in the background first (both idempotent, near-instant when warm); lint, types and the fast suites run
// meanwhile; the real-VS-Code and real-apiserver suites run once their set-up is done. Ends with one
// "N passed, N failed" line summing every suite. Options: --only <suite,...>, --skip <suite,...>.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const logs = path.join(root, '.cache', 'test-logs');
mkdirSync(logs, { recursive: true });

const argValue = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1].split(',') : undefined;
};
const only = argValue('--only');
const skip = argValue('--skip') ?? [];
const wanted = (suite) => (!only || only.includes(suite)) && !skip.includes(suite);

const env = { ...process.env, AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', FORCE_COLOR: process.env.FORCE_COLOR ?? '0' };

/** Runs a command with its output streamed (prefixed) and kept; resolves with exit code and output. */
function run(label, command, args, { quiet = false } = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    const log = createWriteStream(path.join(logs, `${label}.log`));
    const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (chunk) => {
      const text = chunk.toString();
      output += text;
      log.write(text);
      if (!quiet) process.stdout.write(text.split('\n').map((l, i, a) => (i === a.length - 1 && l === '' ? '' : `[${label}] ${l}`)).join('\n'));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', (code, signal) => {
      log.end();
      resolve({ label, code: code ?? (signal ? 1 : 0), output, seconds: (Date.now() - started) / 1000 });
    });
  });
}

/**
 * Counts of one suite: the sum of labelled "<part>: N passed, M failed" lines where a runner prints them (the VS
 * Code runner has an integration and a UI part), else mocha's "N passing" / "N failing".
 */
function counts(output) {
  const labelled = [...output.matchAll(/^(?:\[[\w-]+\] )?[a-z]+: (\d+) passed, (\d+) failed/gm)];
  if (labelled.length > 0) {
    return labelled.reduce((sum, m) => ({ passed: sum.passed + Number(m[1]), failed: sum.failed + Number(m[2]) }), { passed: 0, failed: 0 });
  }
  const passing = /(\d+) passing/.exec(output);
  const failing = /(\d+) failing/.exec(output);
  return { passed: passing ? Number(passing[1]) : 0, failed: failing ? Number(failing[1]) : 0 };
}

const results = [];
let totalPassed = 0;
let totalFailed = 0;
function record(result, { isTest = true } = {}) {
  const c = isTest ? counts(result.output) : { passed: 0, failed: 0 };
  // A suite that exits non-zero without a failure count still counts as one failure.
  if (result.code !== 0 && c.failed === 0) c.failed = 1;
  totalPassed += c.passed;
  totalFailed += c.failed;
  results.push({ ...result, ...c });
  return result.code === 0;
}

const started = Date.now();
// Background set-up first: these take minutes when cold.
const kubeBuild = wanted('kube') || wanted('vscode') ? run('kube-build', 'bash', ['scripts/build-kube.sh']) : undefined;
const codeServer = wanted('vscode') ? run('code-server-install', 'bash', ['scripts/vscode/install-code-server.sh']) : undefined;

const steps = [
  ['lint', 'npx', ['eslint', '--max-warnings', '0', '.'], false],
  ['typecheck', 'npx', ['tsc', '-p', '.'], false],
  ['build', 'node', ['scripts/build.mjs'], false],
  ['unit', 'npx', ['mocha', 'test/unit/**/*.test.ts'], true],
  ['emulator', 'npx', ['mocha', 'test/emulator/**/*.test.ts'], true],
];
for (const [label, command, args, isTest] of steps) {
  if (!wanted(label) && !(label === 'build' && (wanted('vscode')))) continue;
  record(await run(label, command, args), { isTest });
}

// Both remaining suites need the Kubernetes build (the VS Code suite registers a real cluster).
const kubeBuilt = kubeBuild ? record(await kubeBuild, { isTest: false }) : false;
if (kubeBuild && !kubeBuilt) console.error(`Kubernetes build failed; log: ${path.join(logs, 'kube-build.log')}`);
if (codeServer) {
  const install = await codeServer;
  if (!record(install, { isTest: false })) {
    console.error(`code-server install failed; log: ${path.join(logs, 'code-server-install.log')}`);
  } else if (kubeBuilt || !kubeBuild) {
    record(await run('vscode', 'npx', ['tsx', 'scripts/vscode/run-vscode-tests.ts']));
  }
}
if (kubeBuilt && wanted('kube')) record(await run('kube', 'npx', ['mocha', 'test/kube/**/*.test.ts']));

console.log('\nSummary:');
for (const r of results) {
  const status = r.code === 0 ? 'ok  ' : 'FAIL';
  const tally = r.passed || r.failed ? ` ${r.passed} passed, ${r.failed} failed` : '';
  console.log(`  ${status} ${r.label.padEnd(20)} ${r.seconds.toFixed(1).padStart(7)} s${tally}`);
}
console.log(`  total wall time ${((Date.now() - started) / 1000).toFixed(0)} s; logs in ${path.relative(root, logs)}/`);
console.log(`${totalPassed} passed, ${totalFailed} failed`);
process.exit(results.every((r) => r.code === 0) ? 0 : 1);

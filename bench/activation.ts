// Activation-time benchmark: our extension against a hello-world baseline, activated in the same run of real VS
// Code (code-server 4.100.3 = VS Code 1.100.3, Node extension host).
//
// What is measured: by default the production build, staged the way the .vsix lays it out (--ours <folder>
// measures another folder). Both extensions are installed (symlinked into the extensions folder) and activated by
// an in-host probe (test/vscode/harness/activationProbe.ts, run as extensionTestsPath) one after the other, order
// alternating. The times are VS Code's own: Load Code + Call Activate + Finish Activate from the "Startup
// Performance" document (the data behind Developer: Show Running Extensions), with sub-millisecond resolution
// because the probe lends VS Code's timer a finer clock while the two activate. Each page load starts a fresh
// extension host; pairs of runs alternate a cold host (the measured extensions are the first to create a tree
// view and register a command) and a warm one (the probe did both first, as another extension with a view would
// have). Medians per host kind are reported.
//
// Usage: npx tsx bench/activation.ts [--runs 12] [--ours <extension folder>] [--json <file>]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { launchBrowser, openWorkbench, type BrowserSession, type Workbench } from '../test/vscode/harness/browser';
import { BenchError, REPO_ROOT, startCodeServer, type CodeServer } from '../test/vscode/harness/codeServer';
import type { HostMode, PerfActivation, ProbeRecord } from '../test/vscode/harness/activationProbe';
import { extensionHostExits } from '../test/vscode/harness/runExtensionTests';

const HELLO = path.join(REPO_ROOT, 'test', 'fixtures', 'hello-extension');
const PROBE_WARMUP_VIEW = 'eksBenchProbe.warmup';
const PROBE_SOURCE = path.join(REPO_ROOT, 'test', 'vscode', 'harness', 'activationProbe.ts');

interface Args {
  runs: number;
  ours: string;
  json?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { runs: 12, ours: REPO_ROOT };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') args.runs = Math.max(1, Number(argv[++i]));
    else if (argv[i] === '--ours') args.ours = path.resolve(argv[++i]);
    else if (argv[i] === '--json') args.json = path.resolve(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  return args;
}

interface ExtensionInfo {
  id: string;
  displayName: string;
  version: string;
}

function extensionInfo(folder: string): ExtensionInfo {
  const pkg: unknown = JSON.parse(fs.readFileSync(path.join(folder, 'package.json'), 'utf8'));
  const { publisher, name, displayName, version } = (typeof pkg === 'object' && pkg !== null ? pkg : {}) as Record<string, unknown>;
  if (typeof publisher !== 'string' || typeof name !== 'string') throw new Error(`${folder}/package.json lacks publisher or name`);
  const id = `${publisher}.${name}`;
  return { id, displayName: typeof displayName === 'string' ? displayName : id, version: typeof version === 'string' ? version : '0.0.0' };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const ms = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2));
const total = (p: PerfActivation) => p.loadCodeMs + p.callActivateMs + p.finishActivateMs;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const hostModeOf = (run: number): HostMode => (Math.floor(run / 2) % 2 === 0 ? 'cold' : 'warm');

function readRecords(file: string): ProbeRecord[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ProbeRecord);
}

/** Best effort cross-check: the "Activation: N ms" labels of Developer: Show Running Extensions (Load + Call). */
async function runningExtensionsLabels(wb: Workbench, exts: ExtensionInfo[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  try {
    await wb.runCommand('Developer: Show Running Extensions');
    const rows = wb.page.locator('.runtime-extensions-editor .monaco-list-row');
    await rows.first().waitFor({ timeout: 15_000 });
    for (let scroll = 0; scroll < 10 && Object.keys(out).length < exts.length; scroll++) {
      for (const row of await rows.all()) {
        const name = (await row.locator('.name').textContent())?.trim().toLowerCase() ?? '';
        // Rows show the display name (or the id when there is none).
        const ext = exts.find((e) => e.displayName.toLowerCase() === name || e.id.toLowerCase() === name);
        if (ext) out[ext.id] = (await row.locator('.activation-time').textContent())?.trim() ?? '';
      }
      if (Object.keys(out).length === exts.length) break;
      // Virtualised list: scroll it to render further rows.
      const box = await wb.page.locator('.runtime-extensions-editor').boundingBox();
      if (box) await wb.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await wb.page.mouse.wheel(0, 400);
      await sleep(200);
    }
  } catch (err) {
    // The cross-check is informative only.
    console.log(`  (Show Running Extensions cross-check failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
    await wb.screenshot('bench-running-extensions-failure').catch(() => undefined);
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (spawnSync('bash', [path.join(REPO_ROOT, 'scripts', 'vscode', 'install-code-server.sh')], { stdio: ['ignore', 'inherit', 'inherit'] }).status !== 0) {
    throw new BenchError('install', 'scripts/vscode/install-code-server.sh failed');
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'eks-bench-activation-'));
  process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true })); // also after a failure
  if (args.ours === REPO_ROOT) {
    // Measure what ships: the production bundles (minified, no source maps) beside the manifest, as in the .vsix.
    args.ours = path.join(tmp, 'ours');
    fs.mkdirSync(args.ours);
    fs.copyFileSync(path.join(REPO_ROOT, 'package.json'), path.join(args.ours, 'package.json'));
    fs.cpSync(path.join(REPO_ROOT, 'media'), path.join(args.ours, 'media'), { recursive: true });
    const build = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build.mjs'), '--production', '--quiet', '--outdir', path.join(args.ours, 'dist')], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    if (build.status !== 0) throw new BenchError('build', 'scripts/build.mjs --production failed');
  }
  const oursInfo = extensionInfo(args.ours);
  const helloInfo = extensionInfo(HELLO);
  const ours = oursInfo.id;
  const hello = helloInfo.id;

  const probe = path.join(tmp, 'probe.js');
  await esbuild.build({ entryPoints: [PROBE_SOURCE], bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], outfile: probe, logLevel: 'warning' });
  const resultsFile = path.join(tmp, 'results.jsonl');
  const workspace = path.join(tmp, 'workspace');
  fs.mkdirSync(workspace);
  const empty = path.join(tmp, 'empty');
  fs.writeFileSync(empty, '');

  let server: CodeServer | undefined;
  let browser: BrowserSession | undefined;
  let labels: Record<string, string> = {};
  try {
    const extensionsDir = path.join(tmp, 'extensions');
    fs.mkdirSync(extensionsDir);
    // Both extensions are *installed* (symlinked into the extensions folder, scanned at server start), so they
    // are loaded the same way. The web workbench keeps only one extensionDevelopmentPath (its payload becomes a
    // Map), so that slot goes to an empty probe extension, which extensionTestsPath needs to run at all.
    for (const ext of [oursInfo, helloInfo]) {
      const folder = ext === oursInfo ? args.ours : HELLO;
      fs.symlinkSync(folder, path.join(extensionsDir, `${ext.id}-${ext.version}`));
    }
    server = await startCodeServer({
      workspaceFolder: workspace,
      extensionsDir,
      env: {
        EKS_BENCH_RESULTS: resultsFile,
        EKS_BENCH_EXTENSIONS: `${ours},${hello}`,
        EKS_BENCH_WARMUP_VIEW: PROBE_WARMUP_VIEW,
        // Hermetic and loopback-only, as in the test runner: activation must not wait on real AWS or kube.
        AWS_CONFIG_FILE: process.env.AWS_CONFIG_FILE ?? empty,
        AWS_SHARED_CREDENTIALS_FILE: process.env.AWS_SHARED_CREDENTIALS_FILE ?? empty,
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_ENDPOINT_URL: process.env.AWS_ENDPOINT_URL ?? 'http://127.0.0.1:9',
        KUBECONFIG: process.env.KUBECONFIG ?? empty,
      },
    });
    browser = await launchBrowser();
    const probeExt = path.join(tmp, 'probe-extension');
    fs.mkdirSync(probeExt);
    fs.writeFileSync(path.join(probeExt, 'package.json'), JSON.stringify({
      name: 'activation-probe', publisher: 'eks-bench', version: '0.0.1', engines: { vscode: '^1.90.0' },
      // The view the probe creates in a warm host (see HostMode).
      contributes: { views: { explorer: [{ id: PROBE_WARMUP_VIEW, name: 'Bench warm-up' }] } },
    }));
    const devPaths = [probeExt];
    let wb = await openWorkbench(browser, server, { extensionDevelopmentPath: devPaths, extensionTestsPath: probe });
    console.log(`bench: ${args.runs} extension-host start(s), ours=${ours}, baseline=${hello}`);
    for (let i = 0; i < args.runs; i++) {
      // Pairs of runs alternate cold and warm hosts; within a pair the activation order alternates.
      fs.writeFileSync(`${resultsFile}.mode-${i}`, hostModeOf(i));
      if (i > 0) wb = await openWorkbench(browser, server, { extensionDevelopmentPath: devPaths, extensionTestsPath: probe, page: wb.page });
      const deadline = Date.now() + 120_000;
      while (readRecords(resultsFile).length <= i) {
        const exits = extensionHostExits(server.readLog());
        if (exits.length > i) throw new BenchError('extension host', `extension host ${i + 1} exited before the probe wrote results`, server.logFile);
        if (Date.now() > deadline) throw new BenchError('timeout', `no probe result for run ${i + 1} within 120 s`, server.logFile);
        await sleep(200);
      }
      const rec = readRecords(resultsFile)[i];
      if (rec.error) throw new BenchError('results', `probe failed in run ${i + 1}: ${rec.error}`, server.logFile);
      const fmt = (id: string) => {
        const p = rec.perf[id];
        return `${ms(total(p))} ms (load ${ms(p.loadCodeMs)} + call ${ms(p.callActivateMs)} + finish ${ms(p.finishActivateMs)}, ${p.event}${p.eager ? ', eager' : ''})`;
      };
      console.log(`  run ${i + 1} (${rec.host}): ours ${fmt(ours)}; hello ${fmt(hello)}; first: ${rec.order[0] === ours ? 'ours' : 'hello'}`);
      if (i === args.runs - 1) labels = await runningExtensionsLabels(wb, [oursInfo, helloInfo]);
      // Release the probe and wait for that extension host to exit before the next page load starts another.
      fs.writeFileSync(`${resultsFile}.release-${i}`, '');
      const exitDeadline = Date.now() + 30_000;
      while (extensionHostExits(server.readLog()).length <= i && Date.now() < exitDeadline) await sleep(100);
    }
  } finally {
    await browser?.close().catch(() => undefined);
    await server?.stop();
  }

  const records = readRecords(resultsFile);
  if (Object.keys(labels).length > 0) {
    console.log(`Show Running Extensions (last run, load+call): ours "${labels[ours] ?? 'n/a'}", hello "${labels[hello] ?? 'n/a'}"`);
  }
  // The probe gives VS Code's timers sub-millisecond resolution (EKS_BENCH_FINE_CLOCK=0 turns that off); with
  // whole milliseconds a 0 ms baseline makes the ratio meaningless, so say so.
  const summary: Record<string, { oursMs: number; helloMs: number; ratio: number | null; runs: number }> = {};
  for (const host of ['cold', 'warm'] as const) {
    const of = records.filter((r) => r.host === host);
    if (of.length === 0) continue;
    const part = (id: string, k: 'loadCodeMs' | 'callActivateMs') => ms(median(of.map((r) => r.perf[id][k])));
    const oursMs = median(of.map((r) => total(r.perf[ours])));
    const helloMs = median(of.map((r) => total(r.perf[hello])));
    const ratio = helloMs > 0 ? oursMs / helloMs : null;
    summary[host] = { oursMs, helloMs, ratio, runs: of.length };
    console.log(`${host} host (${of.length} runs, medians): ours ${ms(oursMs)} ms (load ${part(ours, 'loadCodeMs')} + call ${part(ours, 'callActivateMs')}),` +
      ` hello-world ${ms(helloMs)} ms (load ${part(hello, 'loadCodeMs')} + call ${part(hello, 'callActivateMs')}),` +
      ` ratio ${ratio === null ? 'n/a (baseline under the clock resolution)' : `${ratio.toFixed(2)}×`} (target ≤ 1.5×)`);
  }
  const wall = (id: string) => median(records.map((r) => r.wallMs[id])).toFixed(1);
  console.log(`median wall time of extension.activate() seen from another extension (includes the IPC): ours ${wall(ours)} ms, hello ${wall(hello)} ms`);
  const jsonFile = args.json ?? path.join(REPO_ROOT, 'bench', 'results', `activation-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.mkdirSync(path.dirname(jsonFile), { recursive: true });
  fs.writeFileSync(jsonFile, JSON.stringify({ vscode: '1.100.3 (code-server 4.100.3)', ours, hello, summary, records, runningExtensions: labels }, null, 2));
  console.log(`details: ${path.relative(REPO_ROOT, jsonFile)}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench:activation FAILED: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);

// Benchmark: the kube-cluster sandbox (real kube-apiserver + etcd, controller-manager, scheduler, kwok) on this
// machine. Prints
//   build   — cold and warm build of tools/kube-cluster: wall time and peak memory (from the `time -v` figures
//             scripts/build-kube.sh records), the up-to-date check, and a forced rebuild with a warm Go cache
//   start   — time from start to the API server's /readyz and to a ready cluster, resident memory idle
//   large   — how long the `large` seed (5,000 pods, 200 nodes, 50 namespaces) takes to load, resident memory with
//             it, and `kubectl get pods -A -o json` against it (median of several runs, output size): the baseline
//             later workload views are measured against.
// Usage: npx tsx bench/kube.ts [--skip-rebuild] [--skip-large] [--runs 5]
// Writes the figures to bench/results/kube.json as well.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, startKubeCluster, type RunningKubeCluster } from '../scripts/kube/cluster';

const RUNS = (() => {
  const i = process.argv.indexOf('--runs');
  return i > 0 ? Number(process.argv[i + 1]) : 5;
})();
const HISTORY = path.join(REPO_ROOT, '.cache/kube/build-history.tsv');
const BUILD_SCRIPT = path.join(REPO_ROOT, 'scripts/build-kube.sh');

interface BuildRecord { date: string; build: string; wallS: number; userS: number; sysS: number; maxRssKb: number }

function readHistory(): BuildRecord[] {
  if (!fs.existsSync(HISTORY)) return [];
  return fs.readFileSync(HISTORY, 'utf8').trim().split('\n').slice(1).filter(Boolean).map((line) => {
    const [date, build, wall, user, sys, rss] = line.split('\t');
    return { date, build, wallS: Number(wall), userS: Number(user), sysS: Number(sys), maxRssKb: Number(rss) };
  });
}

function runBuild(args: string[]): number {
  const t = performance.now();
  const result = spawnSync(BUILD_SCRIPT, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`scripts/build-kube.sh ${args.join(' ')} failed:\n${result.stderr}${result.stdout}`);
  return (performance.now() - t) / 1000;
}

/** Resident memory of the cluster's processes, from /proc. */
function residentMb(cluster: RunningKubeCluster): { total: number; parts: Record<string, number> } {
  const parts: Record<string, number> = {};
  for (const [name, info] of Object.entries(cluster.components)) {
    const status = fs.readFileSync(`/proc/${info.pid}/status`, 'utf8');
    parts[name] = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
  }
  return { total: Object.values(parts).reduce((a, b) => a + b, 0), parts };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const fmtMb = (mb: number) => `${mb.toFixed(0)} MB`;
const fmtParts = (parts: Record<string, number>) => Object.entries(parts).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a cluster, noting when the apiserver answered /readyz (the harness logs it the moment it does). */
async function timedStart(dir: string, seed: string): Promise<{ cluster: RunningKubeCluster; readyzS: number; readyS: number }> {
  const t0 = performance.now();
  let readyzS = NaN;
  const cluster = await startKubeCluster({
    dir, seed,
    log: (line) => {
      if (line.startsWith('apiserver ready')) readyzS = (performance.now() - t0) / 1000;
      if (/replicas ready|seed .*:/.test(line)) process.stdout.write(`    ${line}\n`);
    },
  });
  return { cluster, readyzS, readyS: (performance.now() - t0) / 1000 };
}

async function main(): Promise<void> {
  const results: Record<string, unknown> = { date: new Date().toISOString(), cpus: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30) };
  console.log(`kube-cluster benchmark (${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version})`);

  // --- build ---
  const upToDateS = runBuild([]);
  const history = readHistory();
  const cold = history[0];
  console.log('build (tools/kube-cluster, k8s.io/kubernetes v1.36.3; figures from .cache/kube/build-history.tsv)');
  if (cold) {
    console.log(`  cold build (${cold.date}, ${cold.build}): ${cold.wallS.toFixed(0)} s wall, ${(cold.userS + cold.sysS).toFixed(0)} s CPU, peak ${fmtMb(cold.maxRssKb / 1024)}`);
  } else {
    console.log('  cold build: no record (the history starts with the first build made by the current scripts/build-kube.sh)');
  }
  console.log(`  up-to-date check (binary newer than its sources): ${upToDateS.toFixed(2)} s`);
  let warm: BuildRecord | undefined;
  if (!process.argv.includes('--skip-rebuild')) {
    const forcedS = runBuild(['--force']);
    warm = readHistory().at(-1);
    console.log(`  forced rebuild, warm Go cache: ${warm ? `${warm.wallS.toFixed(0)} s wall, ${(warm.userS + warm.sysS).toFixed(0)} s CPU, peak ${fmtMb(warm.maxRssKb / 1024)}` : `${forcedS.toFixed(0)} s`}`);
  }
  results.build = { cold, warm, upToDateCheckS: upToDateS };

  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-bench-'));
  try {
    // --- start, idle ---
    const idle = await timedStart(path.join(base, 'idle'), 'none');
    await sleep(10_000); // let start-up allocations settle
    const idleRss = residentMb(idle.cluster);
    await idle.cluster.stop();
    console.log('start (seed none: 3 nodes)');
    console.log(`  start → apiserver /readyz: ${idle.readyzS.toFixed(1)} s; → whole cluster ready (controllers, scheduler, kwok, nodes Ready): ${idle.readyS.toFixed(1)} s`);
    console.log(`  resident memory idle: ${fmtMb(idleRss.total)} (${fmtParts(idleRss.parts)})`);
    results.start = { readyzS: idle.readyzS, readyS: idle.readyS, idleRssMb: idleRss };

    if (!process.argv.includes('--skip-large')) {
      // --- large seed ---
      console.log('large seed (5,000 pods on 200 nodes in 50 namespaces)');
      const large = await timedStart(path.join(base, 'large'), 'large');
      const seed = large.cluster.seed;
      await sleep(10_000);
      const largeRss = residentMb(large.cluster);
      const times: number[] = [];
      let bytes = 0;
      let podCount = 0;
      for (let i = 0; i < RUNS; i++) {
        const t = performance.now();
        const run = spawnSync('kubectl', ['--kubeconfig', large.cluster.kubeconfigPath, 'get', 'pods', '-A', '-o', 'json'], { maxBuffer: 1 << 30 });
        times.push((performance.now() - t) / 1000);
        if (run.status !== 0) throw new Error(`kubectl failed: ${run.stderr.toString()}`);
        bytes = run.stdout.length;
        podCount = (JSON.parse(run.stdout.toString()) as { items: unknown[] }).items.length;
      }
      await large.cluster.stop();
      console.log(`  load: ${(seed.ms / 1000).toFixed(1)} s for ${seed.nodes} nodes and ${seed.objects} objects until ${seed.podsRunning}/${seed.pods} pods Running (whole start ${large.readyS.toFixed(1)} s)`);
      console.log(`  resident memory with it: ${fmtMb(largeRss.total)} (${fmtParts(largeRss.parts)})`);
      console.log(`  kubectl get pods -A -o json: median ${median(times).toFixed(2)} s of ${RUNS} (${times.map((t) => t.toFixed(2)).join(', ')}), ${podCount} pods, ${(bytes / 2 ** 20).toFixed(1)} MiB`);
      results.large = { seed, readyS: large.readyS, rssMb: largeRss, kubectl: { medianS: median(times), runsS: times, bytes, pods: podCount } };
    }
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
  fs.mkdirSync(path.join(REPO_ROOT, 'bench/results'), { recursive: true });
  fs.writeFileSync(path.join(REPO_ROOT, 'bench/results/kube.json'), JSON.stringify(results, null, 2) + '\n');
}

main().catch((error: unknown) => {
  console.error('kube benchmark failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});

// Benchmark: the Clusters view's vscode-free loader against the AWS emulator.
// 17 regions × 60 clusters (half connected), 50 ms latency per request, DescribeCluster throttled at 10 req/s per
// region. Prints, as ratios measured in this one run:
//   names    — time until every region shows its names ÷ (one ListClusters round trip + 50 ms)   target ≤ 1.5
//   statuses — time until every status is known ÷ the throttle bound                           target ≤ 1.2
//   speed-up — the eksctl-style sequential loader (region after region, cluster after cluster) ÷ ours
// and the number of throttling errors that would reach the user (target 0).
// Usage: npx tsx bench/explorer-load.ts [--regions 17] [--clusters 60] [--skip-sequential]
import { spawnEmulator } from '../test/support/emulatorProcess';
import { EmulatorControl } from '../emulator/src/control-client';
import type { Seed } from '../emulator/src/seed';
import { EKS_REGIONS } from '../src/core/aws/regions';
import { AwsSession } from '../src/core/aws/session';
import { ClusterLoader, loadSequentially } from '../src/core/clusters/clusterLoader';
import { isThrottlingError } from '../src/core/aws/errors';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const REGION_COUNT = arg('regions', 17);
const CLUSTERS = arg('clusters', 60);
const LATENCY_MS = 50;
const RATE = 10;
const BURST = 10;

function seedFor(regions: string[]): Seed {
  const seed: Seed = { regions: {} };
  for (const region of regions) {
    seed.regions![region] = {
      connectedClusterQuota: CLUSTERS,
      clusters: Array.from({ length: CLUSTERS }, (_, i) => i % 2 === 0
        ? { name: `eks-${String(i).padStart(3, '0')}`, version: '1.31', status: 'ACTIVE' as const }
        : { name: `edge-${String(i).padStart(3, '0')}`, connector: { provider: 'OTHER', roleArn: 'arn:aws:iam::000000000000:role/AmazonEKSConnectorAgentRole', status: 'ACTIVE' as const } }),
    };
  }
  return seed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  const regions = EKS_REGIONS.filter((r) => r.connectorSupported).slice(0, REGION_COUNT).map((r) => r.id);
  // A separate process, as in real use: the emulator's CPU does not share the loader's event loop.
  const emulator = await spawnEmulator({ seed: seedFor(regions) });
  const control = new EmulatorControl(emulator.url);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: emulator.url, AWS_ACCESS_KEY_ID: 'AKIABENCHMARK0000000', AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
  });
  delete process.env.AWS_PROFILE;
  const session = new AwsSession();
  try {
    await control.setFaults({
      latency: [{ ms: LATENCY_MS }],
      throttle: [{ service: 'eks', operation: 'DescribeCluster', ratePerSecond: RATE, burst: BURST }],
    });
    const loader = new ClusterLoader(session);

    // Lower bound 1: one ListClusters round trip on a warm connection (median of 5).
    await loader.listPage(regions[0], undefined);
    const roundTrips: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await loader.listPage(regions[i % regions.length], undefined);
      roundTrips.push(performance.now() - t);
    }
    const listRoundTrip = median(roundTrips);
    // Lower bound 2 (throttle bound): names first, then the bucket admits BURST at once and RATE per second after
    // that, and the last admitted DescribeCluster still takes one round trip.
    const throttleBound = listRoundTrip + ((CLUSTERS - BURST) / RATE) * 1000 + listRoundTrip;

    await control.resetFaults();
    await control.setFaults({ latency: [{ ms: LATENCY_MS }], throttle: [{ service: 'eks', operation: 'DescribeCluster', ratePerSecond: RATE, burst: BURST }] });

    let throttledAttempts = 0;
    let userVisibleErrors = 0;
    let throttlingErrorsShown = 0;
    const ours = new ClusterLoader(session, { onThrottled: () => throttledAttempts++ });
    const namesPending = new Set(regions);
    let known = 0;
    let namesAt = 0;
    const started = performance.now();
    await ours.loadRegions(regions, {
      onPage: (region) => {
        namesPending.delete(region);
        if (namesPending.size === 0) namesAt = performance.now() - started;
      },
      onCluster: (_region, result) => {
        if (result.ok) known++;
        else {
          userVisibleErrors++;
          if (isThrottlingError(result.error)) throttlingErrorsShown++;
        }
      },
      onRegionError: () => userVisibleErrors++,
    });
    const statusesAt = performance.now() - started;

    let sequentialMs = NaN;
    if (!process.argv.includes('--skip-sequential')) {
      await control.resetFaults();
      await control.setFaults({ latency: [{ ms: LATENCY_MS }], throttle: [{ service: 'eks', operation: 'DescribeCluster', ratePerSecond: RATE, burst: BURST }] });
      const t = performance.now();
      await loadSequentially(new ClusterLoader(session), regions);
      sequentialMs = performance.now() - t;
    }

    const total = regions.length * CLUSTERS;
    const namesTarget = listRoundTrip + 50;
    console.log(`explorer load: ${regions.length} regions × ${CLUSTERS} clusters (half connected), ${LATENCY_MS} ms latency, DescribeCluster ${RATE} req/s per region (burst ${BURST})`);
    console.log(`  one ListClusters round trip:      ${listRoundTrip.toFixed(1)} ms`);
    console.log(`  all names shown:                  ${namesAt.toFixed(0)} ms  = ${(namesAt / namesTarget).toFixed(2)}× (one round trip + 50 ms; target ≤ 1.5×)`);
    console.log(`  all statuses known (${known}/${total}):   ${statusesAt.toFixed(0)} ms  = ${(statusesAt / throttleBound).toFixed(2)}× the throttle bound of ${throttleBound.toFixed(0)} ms (target ≤ 1.2×)`);
    console.log(`  throttled attempts retried:       ${throttledAttempts}; errors a user would see: ${userVisibleErrors} (throttling: ${throttlingErrorsShown}; target 0)`);
    if (!Number.isNaN(sequentialMs)) {
      console.log(`  sequential loader (eksctl-style): ${(sequentialMs / 1000).toFixed(1)} s  → speed-up ${(sequentialMs / statusesAt).toFixed(1)}×`);
    }
    const ok = namesAt / namesTarget <= 1.5 && statusesAt / throttleBound <= 1.2 && userVisibleErrors === 0 && known === total;
    console.log(ok ? 'explorer load: all targets met' : 'explorer load: TARGET MISSED');
    process.exitCode = ok ? 0 : 1;
  } finally {
    session.dispose();
    await emulator.stop();
  }
}

main().catch((error) => {
  console.error('explorer load benchmark failed:', error);
  process.exit(1);
});

// Benchmark: in the real workbench (code-server + Chromium), the time from clicking the EKS Connector activity-bar
// entry to every sandbox region listed with its clusters' statuses (or its error node). The AWS side is the
// sandbox's emulator seed. Each run is a fresh page (a new extension host), so activation and the lazy bundles
// are inside the measurement. Prints the median of --runs (default 5) and, for scale, one ListClusters round trip
// measured in the same run.
// Usage: npx tsx bench/view-open.ts [--runs 5]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launchBrowser, openWorkbench } from '../test/vscode/harness/browser';
import { REPO_ROOT, startCodeServer } from '../test/vscode/harness/codeServer';
import { spawnEmulator } from '../test/support/emulatorProcess';
import { sandboxSeed, SANDBOX_ACCESS_KEY, SANDBOX_REGIONS, SANDBOX_SECRET_KEY } from '../scripts/sandbox/seed';
import { AwsSession } from '../src/core/aws/session';
import { ClusterLoader } from '../src/core/clusters/clusterLoader';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 5;

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'eksc-view-open-'));
  const emulator = await spawnEmulator({ seed: sandboxSeed() });
  const configFile = path.join(dir, 'config');
  const credentialsFile = path.join(dir, 'credentials');
  writeFileSync(configFile, `[profile sandbox]\nregion = us-west-2\nendpoint_url = ${emulator.url}\n`);
  writeFileSync(credentialsFile, `[sandbox]\naws_access_key_id = ${SANDBOX_ACCESS_KEY}\naws_secret_access_key = ${SANDBOX_SECRET_KEY}\n`);
  const env = { AWS_CONFIG_FILE: configFile, AWS_SHARED_CREDENTIALS_FILE: credentialsFile, AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  Object.assign(process.env, env);

  // Scale: one ListClusters round trip from this process, warm.
  const session = new AwsSession({ profile: 'sandbox' });
  const loader = new ClusterLoader(session);
  await loader.listPage('us-west-2', undefined);
  const t = performance.now();
  await loader.listPage('us-west-2', undefined);
  const roundTrip = performance.now() - t;
  session.dispose();

  const server = await startCodeServer({
    workspaceFolder: dir,
    env,
    settings: { 'eksConnector.profile': 'sandbox', 'eksConnector.regions': SANDBOX_REGIONS },
  });
  const browser = await launchBrowser();
  const times: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const workbench = await openWorkbench(browser, server, { extensionDevelopmentPath: REPO_ROOT });
      const page = workbench.page;
      await page.waitForTimeout(1500); // let the workbench settle before the click
      // The workbench restores the last side bar; show another one so the click below opens ours.
      const sidebarTitle = page.locator('.part.sidebar .composite.title', { hasText: 'EKS Connector' });
      if (await sidebarTitle.isVisible()) {
        await workbench.activityBarItem('Explorer').click();
        await sidebarTitle.waitFor({ state: 'hidden' });
      }
      const started = Date.now();
      await workbench.activityBarItem('EKS Connector').click();
      // Every region row, and no cluster still loading: statuses (or the denied region's error node) are shown.
      await page.waitForFunction((regions: string[]) => {
        const labels = [...document.querySelectorAll('.part.sidebar .monaco-list-row .label-name')].map((e) => e.textContent?.trim());
        const loading = document.querySelector('.part.sidebar .monaco-list-row .codicon-loading');
        return regions.every((r) => labels.includes(r)) && labels.some((l) => l?.startsWith('Access denied')) && !loading;
      }, SANDBOX_REGIONS, { timeout: 60_000, polling: 20 });
      times.push(Date.now() - started);
      console.log(`  run ${i + 1}: ${times[i]} ms`);
      await page.close();
    }
  } finally {
    await browser.close();
    await server.stop();
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  console.log(`view open → all ${SANDBOX_REGIONS.length} sandbox regions listed with statuses: median ${median} ms over ${runs} runs (min ${sorted[0]}, max ${sorted[sorted.length - 1]}); one ListClusters round trip ${roundTrip.toFixed(1)} ms`);
}

main().catch((error: unknown) => {
  console.error('view-open benchmark failed:', error);
  process.exit(1);
});

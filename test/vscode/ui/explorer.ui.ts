// The Clusters view as a person uses it, clicked through the real workbench (code-server in Chromium) against the
// AWS emulator started by the runner (test/vscode/fixtures/awsWorld.ts). Saves screenshots of the explorer in
// Dark Modern, Light Modern and Dark High Contrast under test-results/screenshots/.
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import type { Locator, Page } from 'playwright-core';
import { startWorkbenchSession, THEMES, type WorkbenchSession } from '../harness/browser';
import { REPO_ROOT } from '../harness/codeServer';
import { EmulatorControl } from '../../../emulator/src/control-client';
import { AWS_CONFIG, AWS_CREDENTIALS, TEST_ACCOUNT, vscodeTestSeed } from '../fixtures/awsWorld';

const emulatorUrl = process.env.EKS_TEST_EMULATOR_URL ?? '';

/** A row of the Clusters view by its label. */
function row(page: Page, label: string): Locator {
  return page.locator('.part.sidebar .monaco-list-row', { has: page.locator('.label-name', { hasText: new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) }).first();
}

/** Resolves once the page has drawn two more frames: by then a wheel scroll has been rendered. */
async function framesDrawn(page: Page): Promise<void> {
  await page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))));
}

/** The rows the tree has drawn, by index: unchanged after a scroll means the end of the list. */
function drawnRows(list: Locator): Promise<string> {
  return list.evaluate((el) => [...el.querySelectorAll('.monaco-list-row')].map((r) => r.getAttribute('data-index')).join(','));
}

/** Resolves when the tree draws something new (rows, labels, its height), or after `ms`. */
async function treeChanged(list: Locator, ms: number): Promise<void> {
  await list.evaluate((el, timeout) => new Promise<void>((resolve) => {
    const done = (): void => {
      observer.disconnect();
      clearTimeout(timer);
      resolve();
    };
    const observer = new MutationObserver(done);
    const timer = setTimeout(done, timeout);
    observer.observe(el, { subtree: true, childList: true, attributes: true, characterData: true });
  }), ms).catch(() => undefined);
}

/**
 * Waits for a row, scrolling the tree: it renders only the rows in view, so a row further down (after 100
 * clusters, say) exists in the page only once scrolled to. Starts from the top each time it looks, and looks again
 * when the tree changes.
 */
async function reveal(page: Page, label: string, timeoutMs = 30_000): Promise<Locator> {
  const target = row(page, label);
  const list = page.locator('.part.sidebar .monaco-list').first();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const box = await list.boundingBox();
    if (box) {
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      // Back to the top in steps (one huge delta is clamped), until the first row is in view.
      const first = page.locator('.part.sidebar .monaco-list-row[data-index="0"]');
      for (let i = 0; i < 80 && !(await first.isVisible()); i++) {
        await page.mouse.wheel(0, -(box.height - 60));
        await framesDrawn(page);
      }
      for (let i = 0; i < 200; i++) {
        if (await target.isVisible()) return target;
        const before = await drawnRows(list);
        await page.mouse.wheel(0, Math.max(100, box.height - 60));
        await framesDrawn(page);
        if ((await drawnRows(list)) === before) break;
      }
    }
    if (await target.isVisible()) return target;
    await treeChanged(list, deadline - Date.now());
  }
  const shot = `${REPO_ROOT}/test-results/screenshots/missing-row-${label.replace(/[^\w.-]+/g, '-')}.png`;
  await page.screenshot({ path: shot }).catch(() => undefined);
  throw new Error(`No row "${label}" in the Clusters view after ${timeoutMs} ms (screenshot: ${shot})`);
}

async function description(r: Locator): Promise<string> {
  return (await r.locator('.label-description').first().innerText()).trim();
}

/** Widens the side bar so descriptions are readable in screenshots (drags the sash beside it). */
async function widenSideBar(page: Page, width: number): Promise<void> {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (!box || box.width >= width) return;
  const x = box.x + box.width;
  const y = box.y + box.height / 2;
  await page.mouse.move(x - 1, y);
  await page.mouse.down();
  await page.mouse.move(box.x + width, y, { steps: 8 });
  await page.mouse.up();
}

describe('Clusters view (UI)', function () {
  this.timeout(180_000);
  let session: WorkbenchSession | undefined;
  let control: EmulatorControl;

  before(async function () {
    if (!emulatorUrl) this.skip();
    control = new EmulatorControl(emulatorUrl);
    await control.loadSeed(vscodeTestSeed());
    await control.resetFaults();
    session = await startWorkbenchSession({
      extensionDevelopmentPath: REPO_ROOT,
      server: { settings: { 'eksConnector.profile': 'ci', 'eksConnector.regions': ['us-west-2', 'eu-west-1'] } },
    });
    await session.workbench.showViewContainer('EKS Connector', 30_000);
  });

  beforeEach(async () => {
    // A test that failed may have left a quick pick open.
    await session?.workbench.page.keyboard.press('Escape').catch(() => undefined);
  });

  after(async () => {
    await session?.close();
    if (emulatorUrl) {
      await fs.writeFile(process.env.AWS_CONFIG_FILE!, AWS_CONFIG(emulatorUrl));
      await fs.writeFile(process.env.AWS_SHARED_CREDENTIALS_FILE!, AWS_CREDENTIALS);
    }
  });

  it('lists regions and clusters with status icons, descriptions and tooltips', async () => {
    const page = session!.workbench.page;
    await row(page, `Account ${TEST_ACCOUNT}`).waitFor({ timeout: 60_000 });
    await row(page, 'us-west-2').waitFor();
    await row(page, 'eu-west-1').waitFor();
    const prod = row(page, 'prod');
    await prod.waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => !document.querySelector('.part.sidebar .codicon-loading'), undefined, { timeout: 30_000 });
    assert.equal(await description(prod), 'EKS 1.32');
    assert.equal(await prod.locator('.codicon-vm-running').count(), 1, 'prod shows the active EKS icon');
    assert.match(await description(row(page, 'edge-pending')), /^connected · RANCHER · pending · expires in 2 d 2\d h$/);
    assert.equal(await row(page, 'edge-pending').locator('.codicon-watch').count(), 1);
    assert.equal(await description(row(page, 'edge-expired')), 'connected · OTHER · failed · activation expired');
    assert.equal(await row(page, 'edge-expired').locator('.codicon-error').count(), 1);
    assert.equal(await description(row(page, 'staging')), 'EKS 1.31 · updating');
    assert.equal(await description(row(page, 'payments')), 'EKS 1.32');

    await prod.hover();
    const hover = page.locator('.monaco-hover, .workbench-hover').filter({ hasText: 'cluster/prod' }).first();
    await hover.waitFor({ timeout: 10_000 });
    assert.match(await hover.innerText(), new RegExp(`arn:aws:eks:us-west-2:${TEST_ACCOUNT}:cluster/prod`));
    await page.mouse.move(700, 500);
  });

  it('saves screenshots of the explorer in Dark Modern, Light Modern and High Contrast', async () => {
    const { workbench } = session!;
    await widenSideBar(workbench.page, 520);
    for (const [name, theme] of [['dark-modern', THEMES.darkModern], ['light-modern', THEMES.lightModern], ['high-contrast', THEMES.highContrast]] as const) {
      await workbench.ensureTheme(theme);
      await framesDrawn(workbench.page);
      const file = await workbench.screenshot(`explorer-${name}`);
      assert.ok((await fs.stat(file)).size > 10_000, `screenshot ${file} looks empty`);
    }
    await workbench.ensureTheme(THEMES.darkModern);
  });

  it('chooses regions from the command palette', async () => {
    const { workbench } = session!;
    const page = workbench.page;
    await workbench.runCommand('EKS Connector: Choose Regions…');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.fill('ap-south-1');
    await workbench.pickRow('ap-south-1');
    await page.keyboard.press('Enter');
    await reveal(page, 'ap-south-1');
    await reveal(page, 'store-000');
    const more = await reveal(page, 'Load more…');
    await more.click();
    await reveal(page, 'store-129');
  });

  it('switches profile from the command palette and shows an error node where access is denied', async () => {
    const { workbench } = session!;
    const page = workbench.page;
    await workbench.runCommand('EKS Connector: Choose AWS Profile…');
    await workbench.pickRow('ci-limited');
    const denied = await reveal(page, 'Access denied: eks:ListClusters');
    assert.equal(await description(denied), 'click to retry');
    // The other regions still list their clusters.
    await reveal(page, 'prod');
    await workbench.screenshot('explorer-access-denied');
  });

  it('shows the welcome view when no AWS credentials exist', async () => {
    const { workbench } = session!;
    const page = workbench.page;
    await workbench.runCommand('EKS Connector: Choose AWS Profile…');
    await workbench.pickRow('$(settings-gear) AWS SDK default'.replace('$(settings-gear) ', ''));
    await fs.writeFile(process.env.AWS_CONFIG_FILE!, '');
    await fs.writeFile(process.env.AWS_SHARED_CREDENTIALS_FILE!, '');
    const welcome = page.locator('.part.sidebar .welcome-view-content', { hasText: 'No AWS credentials were found' });
    await welcome.waitFor({ timeout: 30_000 }).catch(async (error: unknown) => {
      await workbench.screenshot('missing-welcome');
      throw error;
    });
    assert.ok(await welcome.locator('a, .monaco-button', { hasText: 'Choose AWS Profile' }).count() > 0, 'the welcome view offers Choose AWS Profile');
    await workbench.screenshot('explorer-no-credentials');
  });

  it('explains failing credentials from the welcome view', async () => {
    const { workbench } = session!;
    const page = workbench.page;
    await fs.writeFile(process.env.AWS_CONFIG_FILE!, AWS_CONFIG(emulatorUrl));
    await fs.writeFile(process.env.AWS_SHARED_CREDENTIALS_FILE!, AWS_CREDENTIALS);
    // A profile whose credential_process fails, as a broken helper script would.
    await workbench.runCommand('EKS Connector: Choose AWS Profile…');
    await workbench.pickRow('broken-process');
    const welcome = page.locator('.part.sidebar .welcome-view-content', { hasText: 'could not be used' });
    await welcome.waitFor({ timeout: 30_000 });
    // Restoring the files briefly fails the default credentials too; ask until the details name our profile.
    let toast = '';
    const deadline = Date.now() + 60_000;
    while (!/broken-process/.test(toast) && Date.now() < deadline) {
      // Each attempt is short and may fail (the welcome view re-renders when the state changes); retry until the deadline.
      await welcome.locator('a, .monaco-button', { hasText: 'Show Details' }).first().click({ timeout: 5000 }).catch(() => undefined);
      toast = await workbench.waitForNotification('Reading the AWS identity', 5000).catch(() => '');
      if (!/broken-process/.test(toast)) {
        await workbench.runCommand('Notifications: Clear All Notifications').catch(() => undefined);
        // The next answer must be a new toast, not the one just cleared.
        await page.locator('.notifications-toasts .notification-toast').first().waitFor({ state: 'detached', timeout: 5000 }).catch(() => undefined);
      }
    }
    assert.match(toast, /broken-process/);
    assert.match(toast, /\/bin\/false/);
    await workbench.screenshot('explorer-credentials-failed');
  });
});

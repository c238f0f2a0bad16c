// The Clusters view as a person uses it, clicked through the real workbench (code-server in Chromium) against the
// AWS emulator started by the runner (test/vscode/fixtures/awsWorld.ts). Saves screenshots of the explorer in
// Dark Modern, Light Modern, Dark High Contrast and Light High Contrast under test-results/screenshots/.
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import type { Locator, Page } from 'playwright-core';
import * as path from 'node:path';
import { startWorkbenchSession, THEMES, type Workbench, type WorkbenchSession } from '../harness/browser';
import { REPO_ROOT } from '../harness/codeServer';
import { EmulatorControl } from '../../../emulator/src/control-client';
import { DeregisterClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { emulatorClientConfig } from '../../../emulator/src/client-config';
import { ADMIN_KEY, AWS_CONFIG, AWS_CREDENTIALS, TEST_ACCOUNT, vscodeTestSeed } from '../fixtures/awsWorld';

const emulatorUrl = process.env.EKS_TEST_EMULATOR_URL ?? '';
const AGENT_ROLE = `arn:aws:iam::${TEST_ACCOUNT}:role/AmazonEKSConnectorAgentRole`;

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

/** Whether the description's text up to `prefix` is drawn inside the row (the rest may be cut by the ellipsis). */
async function shownUpTo(r: Locator, prefix: string): Promise<boolean> {
  return r.evaluate((element, wanted) => {
    const label = element.querySelector('.monaco-icon-label-container');
    const text = element.querySelector('.label-description')?.firstChild;
    if (!label || !text || !(text.textContent ?? '').startsWith(wanted)) return false;
    const range = document.createRange();
    range.setStart(text, 0);
    range.setEnd(text, wanted.length);
    return range.getBoundingClientRect().right <= label.getBoundingClientRect().right;
  }, prefix);
}

/**
 * Edits the user settings as a person would: Preferences: Open User Settings (JSON), replace the text, save.
 * (Writing settings.json behind the workbench's back is not picked up by code-server.) Resolves once the file holds the values.
 */
async function editUserSettings(workbench: Workbench, patch: Record<string, unknown>): Promise<void> {
  const page = workbench.page;
  const file = path.join(workbench.server.userDataDir, 'User', 'settings.json');
  const readSettings = () => fs.readFile(file, 'utf8').then((text) => JSON.parse(text) as Record<string, unknown>).catch(() => undefined);
  const current = await readSettings();
  if (!current) throw new Error(`${file} is not JSON: ${await fs.readFile(file, 'utf8').catch(String)}`);
  const wanted = { ...current, ...patch };
  await workbench.runCommand('Preferences: Open User Settings (JSON)');
  const editor = page.locator('.editor-group-container .monaco-editor .view-lines').first();
  await editor.waitFor({ timeout: 15_000 });
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(JSON.stringify(wanted));
  // The editor may still close the first bracket and quote it saw typed, after the cursor: drop them.
  await page.keyboard.press('Control+Shift+End');
  await page.keyboard.press('Delete');
  await page.keyboard.press('Control+S');
  const deadline = Date.now() + 15_000;
  for (;;) {
    const saved = await readSettings();
    if (JSON.stringify(saved) === JSON.stringify(wanted)) break;
    if (Date.now() > deadline) throw new Error(`settings.json did not get ${JSON.stringify(patch)}; it holds ${await fs.readFile(file, 'utf8').catch(String)}`);
    await page.waitForTimeout(200);
  }
  await workbench.runCommand('View: Close All Editors');
}

/** The computed CSS colour of a row's icon and of its label text (the theme's list foreground). */
async function iconColors(r: Locator): Promise<{ icon: string; label: string }> {
  return r.evaluate((element) => ({
    icon: getComputedStyle(element.querySelector('.custom-view-tree-node-item-icon')!).color,
    label: getComputedStyle(element.querySelector('.label-name')!).color,
  }));
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

  afterEach(async function () {
    if (this.currentTest?.state !== 'failed' || !session) return;
    // The extension's own log says what it did, which the page may no longer show.
    const entries = await fs.readdir(session.server.userDataDir, { withFileTypes: true, recursive: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isFile() || !/EKS Connector\.log$/.test(entry.name)) continue;
      const file = path.join(entry.parentPath, entry.name);
      console.log(`--- ${file}\n${(await fs.readFile(file, 'utf8')).split('\n').slice(-40).join('\n')}`);
    }
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
    assert.match(await description(row(page, 'edge-pending')), /^pending · 2 d 2\d h left · connected · RANCHER$/);
    assert.equal(await row(page, 'edge-pending').locator('.codicon-watch').count(), 1);
    assert.equal(await description(row(page, 'edge-expired')), 'failed · activation expired · connected · OTHER');
    assert.equal(await row(page, 'edge-expired').locator('.codicon-error').count(), 1);
    assert.equal(await description(row(page, 'staging')), 'updating · EKS 1.31');
    assert.equal(await description(row(page, 'payments')), 'EKS 1.32');
    // At the side bar's default width the status and the countdown are on screen, not cut off by the ellipsis.
    const pendingText = await description(row(page, 'edge-pending'));
    assert.ok(await shownUpTo(row(page, 'edge-pending'), pendingText.slice(0, pendingText.indexOf(' left'))), `status and countdown of "${pendingText}" are visible at the default width`);

    await prod.hover();
    const hover = page.locator('.monaco-hover, .workbench-hover').filter({ hasText: 'cluster/prod' }).first();
    await hover.waitFor({ timeout: 10_000 });
    assert.match(await hover.innerText(), new RegExp(`arn:aws:eks:us-west-2:${TEST_ACCOUNT}:cluster/prod`));
    await page.mouse.move(700, 500);
    await hover.waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => undefined);

    // Dates in the tooltip are in the user's locale and relative, never raw ISO.
    await row(page, 'edge-pending').hover();
    const pendingHover = page.locator('.monaco-hover, .workbench-hover').filter({ hasText: 'cluster/edge-pending' }).first();
    await pendingHover.waitFor({ timeout: 10_000 });
    const tooltip = await pendingHover.innerText();
    assert.match(tooltip, /Registered: \w{3} \d{1,2}, \d{4}, \d{1,2}:\d\d\s[AP]M \(1 hour ago\)/);
    assert.match(tooltip, /Activation expires: .+ \(in 2 days\)/);
    assert.doesNotMatch(tooltip, /\d{4}-\d\d-\d\dT\d\d:/);
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

  it('keeps failed, pending and expiring icons coloured in Dark and Light High Contrast', async () => {
    const { workbench } = session!;
    const page = workbench.page;
    // One more registration whose activation has 12 hours left: urgent.
    const seed = vscodeTestSeed();
    seed.regions!['us-west-2'].clusters!.push({ name: 'edge-urgent', connector: { provider: 'EKS_ANYWHERE', roleArn: AGENT_ROLE, status: 'PENDING', registeredAt: new Date(Date.now() - 60 * 3_600_000).toISOString() } });
    await control.loadSeed(seed);
    try {
      await workbench.runCommand('EKS Connector: Refresh');
      const urgent = await reveal(page, 'edge-urgent');
      await page.waitForFunction(() => !document.querySelector('.part.sidebar .codicon-loading'), undefined, { timeout: 30_000 });
      assert.equal(await description(urgent), 'pending · 11 h left · connected · EKS_ANYWHERE');
      assert.equal(await urgent.locator('.codicon-warning').count(), 1, 'an activation with less than a day left shows a warning icon');

      for (const [name, theme] of [['hc-dark', THEMES.highContrast], ['hc-light', THEMES.highContrastLight]] as const) {
        await workbench.ensureTheme(theme);
        const rows = { failed: row(page, 'edge-expired'), pending: row(page, 'edge-pending'), urgent, healthy: row(page, 'prod'), connected: row(page, 'onprem') };
        // The tree re-renders its icons after the theme switch: wait until the states that need attention are
        // drawn in a colour of their own (before, they fell back to the plain foreground in High Contrast).
        const read = async () => Object.fromEntries(await Promise.all(Object.entries(rows).map(async ([key, r]) => [key, await iconColors(r)]))) as Record<keyof typeof rows, { icon: string; label: string }>;
        let colors = await read();
        const distinct = (c: typeof colors) => c.failed.icon !== c.failed.label && c.pending.icon !== c.pending.label && c.urgent.icon !== c.urgent.label
          && c.failed.icon !== c.healthy.icon && c.pending.icon !== c.healthy.icon && c.failed.icon !== c.pending.icon && c.failed.icon !== c.connected.icon;
        const deadline = Date.now() + 10_000;
        while (!distinct(colors) && Date.now() < deadline) {
          await page.waitForTimeout(200);
          colors = await read();
        }
        const file = await workbench.screenshot(`explorer-${name}`);
        assert.ok(distinct(colors), `${theme.label}: failed, pending and expiring icons must differ from the text colour and from healthy ones (screenshot ${file}): ${JSON.stringify(colors)}`);
        assert.notEqual(colors.healthy.icon, colors.healthy.label, `${theme.label}: healthy clusters keep their colour too`);
      }
    } finally {
      await workbench.ensureTheme(THEMES.darkModern);
      await control.loadSeed(vscodeTestSeed());
      await workbench.runCommand('EKS Connector: Refresh');
    }
  });

  it('keeps refreshing a region after a full refresh: a cluster deregistered in AWS leaves the view', async () => {
    const { workbench } = session!;
    const page = workbench.page;
    await reveal(page, 'edge-pending');
    // A full refresh creates the region rows anew; the region's own refreshes must still reach the view.
    await workbench.runCommand('EKS Connector: Refresh');
    const pending = await reveal(page, 'edge-pending');
    await page.waitForFunction(() => !document.querySelector('.part.sidebar .codicon-loading'), undefined, { timeout: 30_000 });
    assert.match(await description(pending), /^pending/);
    const eks = new EKSClient(emulatorClientConfig(emulatorUrl, { region: 'us-west-2', credentials: { accessKeyId: ADMIN_KEY, secretAccessKey: 'not-checked' }, maxAttempts: 1 }));
    try {
      await eks.send(new DeregisterClusterCommand({ name: 'edge-pending' }));
      // The view re-describes clusters in transition every 15 s; once edge-pending is gone its region reloads.
      await row(page, 'edge-pending').waitFor({ state: 'detached', timeout: 60_000 }).catch(async (error: unknown) => {
        await workbench.screenshot('stale-after-refresh');
        throw error;
      });
      await reveal(page, 'prod');
    } finally {
      eks.destroy();
      await control.loadSeed(vscodeTestSeed());
      await workbench.runCommand('EKS Connector: Refresh');
    }
  });

  it('shows a retried region loading until its clusters arrive', async () => {
    const { workbench } = session!;
    const page = workbench.page;
    await control.setFaults({ errors: [{ service: 'eks', operation: 'ListClusters', region: 'eu-west-1', status: 503 }] });
    try {
      await workbench.runCommand('EKS Connector: Refresh');
      const failed = await reveal(page, 'AWS server error', 60_000);
      assert.equal(await description(failed), 'click to retry');
      // The retry's answer takes a few seconds: meanwhile the region says it is loading.
      await control.setFaults({ latency: [{ service: 'eks', operation: 'ListClusters', region: 'eu-west-1', ms: 8000 }] });
      await failed.click();
      const region = row(page, 'eu-west-1');
      await page.waitForFunction(() => [...document.querySelectorAll('.part.sidebar .monaco-list-row')].some((r) =>
        r.querySelector('.label-name')?.textContent === 'eu-west-1' && r.querySelector('.label-description')?.textContent === 'loading…' && r.querySelector('.codicon-loading')), undefined, { timeout: 7000 });
      await reveal(page, 'payments');
      await page.waitForFunction(() => [...document.querySelectorAll('.part.sidebar .monaco-list-row')].some((r) =>
        r.querySelector('.label-name')?.textContent === 'eu-west-1' && r.querySelector('.label-description')?.textContent === 'Europe (Ireland)'), undefined, { timeout: 10_000 });
      assert.equal(await row(page, 'AWS server error').count(), 0, 'the error row is gone');
      assert.equal(await region.locator('.codicon-globe').count(), 1);
    } finally {
      await control.resetFaults();
    }
  });

  it('lists a region missing from the bundled list, from settings or the profile, with a warning', async function () {
    this.timeout(360_000); // four settings edits through the editor and the palette
    const { workbench } = session!;
    const page = workbench.page;
    const configFile = process.env.AWS_CONFIG_FILE!;
    const credentialsFile = process.env.AWS_SHARED_CREDENTIALS_FILE!;
    // The profile is machine-scoped: code-server drops it when settings.json is edited by hand, so it is chosen
    // with the command (as a user would) after each edit.
    const chooseProfile = async (name: string) => {
      await workbench.runCommand('EKS Connector: Choose AWS Profile…');
      await workbench.pickRow(name);
    };
    const restore = async () => {
      await fs.writeFile(configFile, AWS_CONFIG(emulatorUrl));
      await fs.writeFile(credentialsFile, AWS_CREDENTIALS);
      await editUserSettings(workbench, { 'eksConnector.regions': ['us-west-2', 'eu-west-1'] });
      await chooseProfile('ci');
      await reveal(page, 'payments');
    };
    try {
      // A region launched after this release, set by hand in settings.json.
      await editUserSettings(workbench, { 'eksConnector.regions': ['eu-west-1', 'ap-southeast-9'] });
      await chooseProfile('ci');
      const fresh = await reveal(page, 'ap-southeast-9');
      assert.equal(await description(fresh), 'not in the bundled region list');
      assert.equal(await fresh.locator('.codicon-warning').count(), 1, 'the region row carries a warning icon');
      await reveal(page, 'No clusters in ap-southeast-9');
      assert.equal(await row(page, 'Unknown region "ap-southeast-9"').count(), 0);

      // The same region as the profile's only region: the view lists it instead of asking for regions.
      await fs.appendFile(configFile, `\n[profile new-region]\nregion = ap-southeast-9\nendpoint_url = ${emulatorUrl}\n`);
      await fs.appendFile(credentialsFile, `\n[new-region]\naws_access_key_id = ${ADMIN_KEY}\naws_secret_access_key = not-checked\n`);
      await editUserSettings(workbench, { 'eksConnector.regions': [] });
      await chooseProfile('new-region');
      await reveal(page, 'No clusters in ap-southeast-9');
      assert.equal(await page.locator('.part.sidebar .welcome-view-content', { hasText: 'Choose the AWS regions' }).count(), 0, 'no "choose regions" welcome view');
      assert.equal(await description(row(page, 'Account ' + TEST_ACCOUNT)), 'profile new-region');
    } catch (error) {
      // The test's own failure says more than a failed clean-up after it.
      await restore().catch(() => undefined);
      throw error;
    }
    await restore();
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
    assert.match(toast, /credential_process/);
    // The command line is a line of the AWS config file: the message names the profile, never the line.
    assert.doesNotMatch(toast, /\/bin\/false/);
    await workbench.screenshot('explorer-credentials-failed');
  });
});

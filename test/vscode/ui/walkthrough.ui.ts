// The Get Started walkthrough as a new user meets it in the real workbench (code-server in Chromium): opened from
// the Clusters view's "…" menu, its steps rendered with our titles and media, each step's button running the real
// command (its quick pick shows), and steps ticking off as the user does what they say.
// Run: npx tsx scripts/vscode/run-vscode-tests.ts --build --ui-only --grep "Get Started walkthrough"
import * as assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { startWorkbenchSession, type WorkbenchSession } from '../harness/browser';
import { REPO_ROOT } from '../harness/codeServer';
import { EmulatorControl } from '../../../emulator/src/control-client';
import { vscodeTestSeed } from '../fixtures/awsWorld';

const emulatorUrl = process.env.EKS_TEST_EMULATOR_URL ?? '';
const STEPS = ['Choose an AWS profile', 'Choose the regions to show', 'Register a kube context'];

/** A walkthrough step of the open Get Started page, by its title. */
function step(page: Page, title: string): Locator {
  return page.locator('.part.editor .getting-started-step', { has: page.locator('h3.step-title', { hasText: new RegExp(`^${title}$`) }) });
}

/** Waits until the step's checkbox says done (the walkthrough ticks it on the step's completion events). */
async function waitTicked(page: Page, title: string, timeoutMs = 30_000): Promise<void> {
  await step(page, title).locator('[role="checkbox"][aria-checked="true"]').waitFor({ timeout: timeoutMs });
}

/** Opens a step (its button shows only while it is expanded) and clicks its button. */
async function clickStepButton(page: Page, title: string, button: string): Promise<void> {
  const target = step(page, title);
  if ((await target.getAttribute('aria-expanded')) !== 'true') await target.locator('h3.step-title').click();
  await target.locator('.button-container .monaco-button', { hasText: button }).click();
}

/** The open quick input's title once it shows. */
async function quickInputTitle(page: Page): Promise<string> {
  const title = page.locator('.quick-input-widget .quick-input-title');
  await title.waitFor({ state: 'visible', timeout: 30_000 });
  await page.waitForFunction(() => (document.querySelector('.quick-input-widget .quick-input-title')?.textContent ?? '').trim() !== '', undefined, { timeout: 30_000 });
  return (await title.innerText()).trim();
}

describe('Get Started walkthrough (UI)', function () {
  this.timeout(180_000);
  let session: WorkbenchSession | undefined;

  before(async function () {
    if (!emulatorUrl) this.skip();
    await new EmulatorControl(emulatorUrl).loadSeed(vscodeTestSeed());
    // A new user: no profile chosen and no AWS_PROFILE, so the view asks for credentials and no step is done yet.
    session = await startWorkbenchSession({ extensionDevelopmentPath: REPO_ROOT, server: { env: { AWS_PROFILE: undefined } } });
    await session.workbench.showViewContainer('EKS Connector', 30_000);
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && session) await session.workbench.screenshot(`failed-${this.currentTest.title}`).catch(() => undefined);
    // A quick pick a failed test left open; Escape on the walkthrough itself would leave it for the Welcome page.
    const quickInput = session?.workbench.page.locator('.quick-input-widget');
    if (await quickInput?.isVisible()) await session!.workbench.page.keyboard.press('Escape');
  });

  after(async () => {
    await session?.close();
  });

  it('opens from the Clusters view\'s "…" menu with our steps and their media', async () => {
    const { workbench } = session!;
    const page = workbench.page;
    const title = page.locator('.part.sidebar .composite.title');
    await title.hover();
    await title.locator('.action-label.codicon-toolbar-more').click();
    await page.locator('.context-view .action-label', { hasText: /^Get Started with EKS Connector$/ }).click();

    await page.locator('.part.editor h2.category-title', { hasText: /^Get Started with EKS Connector$/ }).waitFor({ timeout: 30_000 });
    const titles = (await page.locator('.part.editor .getting-started-step h3.step-title').allInnerTexts()).map((t) => t.trim());
    assert.deepEqual(titles, STEPS);
    for (const t of STEPS) assert.equal(await step(page, t).locator('[role="checkbox"]').getAttribute('aria-checked'), 'false', `"${t}" is not done yet`);
    // The first step is open with its button, and its markdown media shows beside it.
    assert.equal(await step(page, STEPS[0]).getAttribute('aria-expanded'), 'true');
    const media = page.frameLocator('.part.editor .getting-started-media iframe').frameLocator('#active-frame');
    await media.locator('h1', { hasText: 'Choose an AWS profile' }).waitFor({ timeout: 30_000 });
    await workbench.screenshot('walkthrough-get-started');
  });

  it('runs Choose AWS Profile from its step, and ticks the step off once a profile is chosen', async () => {
    const page = session!.workbench.page;
    await clickStepButton(page, STEPS[0], 'Choose AWS Profile');
    assert.equal(await quickInputTitle(page), 'EKS Connector: AWS profile');
    // Opening the picker is not choosing: the step stays open until a profile is picked.
    assert.equal(await step(page, STEPS[0]).locator('[role="checkbox"]').getAttribute('aria-checked'), 'false');
    await session!.workbench.pickRow('ci');
    await waitTicked(page, STEPS[0]);
    // The profile names a region, so the view lists its clusters: choosing regions is done too.
    await waitTicked(page, STEPS[1]);
  });

  it('runs Choose Regions and Register Kube Context from their steps', async () => {
    const page = session!.workbench.page;
    await clickStepButton(page, STEPS[1], 'Choose Regions');
    assert.equal(await quickInputTitle(page), 'EKS Connector: Regions to show');
    await page.keyboard.press('Escape');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 15_000 });

    await clickStepButton(page, STEPS[2], 'Register Kube Context');
    assert.match(await quickInputTitle(page), /^Register with EKS \(1\/\d+\)/);
    await waitTicked(page, STEPS[2]);
  });
});

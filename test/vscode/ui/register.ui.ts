// Registering the cluster of a kube context, clicked through the real workbench: the guided command against the AWS
// emulator and the real API server (both started by the runner), with the simulated agent making it ACTIVE.
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { startWorkbenchSession, type WorkbenchSession } from '../harness/browser';
import { REPO_ROOT } from '../harness/codeServer';
import { EmulatorControl } from '../../../emulator/src/control-client';
import { vscodeTestSeed } from '../fixtures/awsWorld';

const emulatorUrl = process.env.EKS_TEST_EMULATOR_URL ?? '';

async function pick(page: Page, label: RegExp, timeout = 60_000): Promise<void> {
  const row = page.locator('.quick-input-widget .monaco-list-row', { has: page.locator('.label-name', { hasText: label }) }).first();
  await row.waitFor({ timeout });
  await row.click();
}

describe('Register with EKS (UI)', function () {
  this.timeout(240_000);
  let session: WorkbenchSession | undefined;

  before(async function () {
    if (!emulatorUrl || !process.env.KUBECONFIG) this.skip();
    const control = new EmulatorControl(emulatorUrl);
    await control.loadSeed(vscodeTestSeed());
    await control.resetFaults();
    session = await startWorkbenchSession({
      extensionDevelopmentPath: REPO_ROOT,
      server: { settings: { 'eksConnector.profile': 'ci', 'eksConnector.regions': ['us-west-2'] } },
    });
  });

  after(async () => {
    await session?.close();
  });

  it('registers the current context and shows it ACTIVE in the explorer', async () => {
    const { workbench } = session!;
    const page = workbench.page;
    // The palette can miss the command while the workbench is still restoring; one retry covers that.
    await workbench.runCommand('EKS Connector: Register Kube Context with EKS…').catch(async () => {
      await page.keyboard.press('Escape');
      await workbench.runCommand('EKS Connector: Register Kube Context with EKS…', 30_000);
    });
    await pick(page, /^sandbox-admin$/);
    await pick(page, /^us-west-2$/);
    const name = page.locator('.quick-input-widget .quick-input-box input');
    await name.waitFor();
    assert.equal(await name.inputValue(), 'sandbox-admin', 'the name defaults from the context');
    await name.fill('ui-registered');
    await page.waitForTimeout(800); // the name is checked against EKS as it is typed
    await page.keyboard.press('Enter');
    await pick(page, /^OTHER$/);
    await pick(page, /Create AmazonEKSConnectorAgentRole/);
    const connect = page.locator('.quick-input-widget .monaco-list-row', { hasText: /Connect ui-registered to EKS/ }).first();
    await connect.waitFor({ timeout: 60_000 });
    assert.ok(await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Permission to install the connector' }).count() > 0, 'the checklist shows the cluster checks');
    await workbench.screenshot('register-checklist');
    await connect.click();
    const done = await workbench.waitForNotification(/ui-registered is ACTIVE in us-west-2/, 120_000);
    assert.match(done, /Save Manifests to Workspace/);

    await workbench.showViewContainer('EKS Connector', 30_000);
    const row = page.locator('.part.sidebar .monaco-list-row', { hasText: 'ui-registered' }).first();
    await row.waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => [...document.querySelectorAll('.part.sidebar .monaco-list-row')].some((r) => /ui-registered/.test(r.textContent ?? '') && r.querySelector('.codicon-plug')), undefined, { timeout: 30_000 });
    await workbench.screenshot('register-active-in-explorer');

    // The activation code (known to the emulator) reached no log, output channel, setting, state or workspace file.
    const state = JSON.stringify(await new EmulatorControl(emulatorUrl).getState());
    const codes = [...state.matchAll(/"activationCode":"([^"]+)"/g)].map((m) => m[1]);
    assert.ok(codes.length > 0, 'the emulator holds the activation code');
    const secrets = codes.flatMap((c) => [c, Buffer.from(c).toString('base64')]);
    const { server, browser } = session!;
    const files = [...await filesUnder(server.userDataDir), ...await filesUnder(server.workspaceFolder), server.logFile, browser.consoleLogFile];
    let sawOurLog = false;
    for (const file of files) {
      const content = await fs.readFile(file).catch(() => Buffer.alloc(0));
      if (content.includes('Registering ui-registered with EKS')) sawOurLog = true;
      for (const secret of secrets) assert.ok(!content.includes(secret), `the activation code appears in ${file}`);
    }
    assert.ok(sawOurLog, `the scan covered the EKS Connector output channel's log (${files.length} files scanned)`);

  });
});

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

// The register wizard as a user meets it in the real workbench (issue 11, points 7-10): Back keeps what was typed,
// the name check waits for typing to pause, a cancelled connect is a cancel with Roll Back or Keep, and a context
// without admin rights is told so at once, with the missing permissions in a document and a hand-off to an admin.
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import * as k8s from '@kubernetes/client-node';
import { startWorkbenchSession, type WorkbenchSession } from '../harness/browser';
import { REPO_ROOT } from '../harness/codeServer';
import { EmulatorControl } from '../../../emulator/src/control-client';
import { vscodeTestSeed, ADMIN_KEY } from '../fixtures/awsWorld';
import { AwsSession } from '../../../src/core/aws/session';
import { KubeCluster } from '../../../src/core/kube/kubeCluster';
import { ConnectorService } from '../../../src/core/connector/connectorService';

const emulatorUrl = process.env.EKS_TEST_EMULATOR_URL ?? '';
const QUICK_INPUT = '.quick-input-widget';

async function pick(page: Page, label: RegExp, timeout = 60_000): Promise<void> {
  const row = page.locator(`${QUICK_INPUT} .monaco-list-row`, { has: page.locator('.label-name', { hasText: label }) }).first();
  await row.waitFor({ timeout });
  await row.click();
}

/**
 * Waits until the wizard shows step `n` with its value in place: the previous step's rows or an input the wizard
 * has not yet filled with its suggestion must not be mistaken for this step.
 */
async function atStep(page: Page, n: number, nameSuggested = false): Promise<void> {
  await page.locator(`${QUICK_INPUT} .quick-input-titlebar`, { hasText: new RegExp(`\\(${n}/\\d+\\)`) }).waitFor({ timeout: 60_000 });
  if (nameSuggested) {
    await page.waitForFunction((sel) => ((document.querySelector(sel) as HTMLInputElement | null)?.value ?? '') !== '', `${QUICK_INPUT} .quick-input-box input`, { timeout: 30_000 });
  }
}

/** The quick input's Back button (left of its title). */
async function back(page: Page): Promise<void> {
  await page.locator(`${QUICK_INPUT} .quick-input-left-action-bar .action-label`).first().click();
}

async function startRegister(session: WorkbenchSession): Promise<void> {
  await session.workbench.runCommand('EKS Connector: Register Kube Context with EKS…').catch(async () => {
    await session.workbench.page.keyboard.press('Escape');
    await session.workbench.runCommand('EKS Connector: Register Kube Context with EKS…', 30_000);
  });
}

describe('Register wizard (UI)', function () {
  this.timeout(300_000);
  let session: WorkbenchSession | undefined;
  let control: EmulatorControl;
  let outside: string;

  before(async function () {
    if (!emulatorUrl || !process.env.KUBECONFIG) this.skip();
    control = new EmulatorControl(emulatorUrl);
    await control.loadSeed(vscodeTestSeed());
    await control.resetFaults();
    outside = await fs.mkdtemp(path.join(os.tmpdir(), 'eks-handoff-'));
    session = await startWorkbenchSession({
      extensionDevelopmentPath: REPO_ROOT,
      server: { settings: { 'eksConnector.profile': 'ci', 'eksConnector.regions': ['eu-west-1', 'us-west-2'] } },
    });
  });

  afterEach(async function () {
    await control?.resetFaults();
    if (this.currentTest?.state === 'failed' && session) {
      await session.workbench.screenshot(`failed-${this.currentTest.title}`).catch(() => undefined);
      // The extension's own log says what the command did, which the page may no longer show.
      const entries = await fs.readdir(session.server.userDataDir, { withFileTypes: true, recursive: true }).catch(() => []);
      for (const e of entries.filter((f) => f.isFile() && /EKS Connector\.log$/.test(f.name))) {
        console.log((await fs.readFile(path.join(e.parentPath, e.name), 'utf8')).split('\n').slice(-15).join('\n'));
      }
    }
    await session?.workbench.page.keyboard.press('Escape').catch(() => undefined);
  });

  after(async () => {
    await session?.close();
    if (outside) await fs.rm(outside, { recursive: true, force: true });
  });

  it('Back returns to the previous step with what was entered, and the region step lists the view\'s regions first', async () => {
    const page = session!.workbench.page;
    await startRegister(session!);
    await pick(page, /^sandbox-admin$/);
    // The regions shown in the Clusters view come first, in the view's order.
    await atStep(page, 2);
    await page.locator(`${QUICK_INPUT} .monaco-list-row`, { hasText: 'us-west-2' }).first().waitFor({ timeout: 60_000 });
    const firstRows = await page.locator(`${QUICK_INPUT} .monaco-list-row .label-name`).allInnerTexts();
    assert.deepEqual(firstRows.slice(0, 2), ['eu-west-1', 'us-west-2']);
    await pick(page, /^us-west-2$/);
    const input = page.locator(`${QUICK_INPUT} .quick-input-box input`);
    await atStep(page, 3, true);
    await input.fill('kept-name');
    await page.keyboard.press('Enter');
    await page.locator(`${QUICK_INPUT} .monaco-list-row`, { hasText: 'OTHER' }).first().waitFor({ timeout: 60_000 });
    await back(page);
    await page.waitForFunction((sel) => (document.querySelector(sel) as HTMLInputElement | null)?.value === 'kept-name', `${QUICK_INPUT} .quick-input-box input`, { timeout: 15_000 });
    assert.match(await page.locator(`${QUICK_INPUT} .quick-input-titlebar`).innerText(), /3\/6/);
    await back(page);
    await page.locator(`${QUICK_INPUT} .monaco-list-row.focused`, { hasText: 'us-west-2' }).waitFor({ timeout: 15_000 });
    await page.keyboard.press('Escape');
  });

  it('checks the name against EKS once typing pauses, not on every keystroke', async () => {
    const page = session!.workbench.page;
    await startRegister(session!);
    await pick(page, /^sandbox-admin$/);
    await pick(page, /^us-west-2$/);
    const input = page.locator(`${QUICK_INPUT} .quick-input-box input`);
    await atStep(page, 3, true);
    await control.resetFaults();
    await input.fill('');
    await page.keyboard.type('typed-slowly-name', { delay: 40 });
    // The check of the final value has answered when the box is no longer busy and Enter moves on.
    await page.keyboard.press('Enter');
    await page.locator(`${QUICK_INPUT} .monaco-list-row`, { hasText: 'OTHER' }).first().waitFor({ timeout: 60_000 });
    const described = (await control.getFaults()).counters.requests['eks:DescribeCluster'] ?? 0;
    assert.ok(described >= 1 && described <= 2, `DescribeCluster was called ${described} times for one typed name`);
    await page.keyboard.press('Escape');
  });

  it('a cancelled connect says it was cancelled and offers Roll Back or Keep; Keep later says the cluster is ACTIVE', async () => {
    const { workbench } = session!;
    const page = workbench.page;
    await startRegister(session!);
    await pick(page, /^sandbox-admin$/);
    await pick(page, /^us-west-2$/);
    await atStep(page, 3, true);
    await page.locator(`${QUICK_INPUT} .quick-input-box input`).fill('cancel-me');
    await page.keyboard.press('Enter');
    await pick(page, /^OTHER$/);
    await pick(page, /AmazonEKSConnectorAgentRole$/);
    await pick(page, /Full read access/);
    const connect = page.locator(`${QUICK_INPUT} .monaco-list-row`, { hasText: /Connect cancel-me to EKS/ }).first();
    await connect.waitFor({ timeout: 60_000 });
    // Slow DescribeCluster: the wait for ACTIVE is still going when Cancel is clicked.
    await control.setFaults({ latency: [{ service: 'eks', operation: 'DescribeCluster', ms: 4000 }] });
    await connect.click();
    const toast = page.locator('.notification-toast', { hasText: /Connecting cancel-me/ }).first();
    await toast.locator('text=/activation expires/').waitFor({ timeout: 90_000 });
    await toast.getByRole('button', { name: 'Cancel' }).click();
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 30_000 });
    assert.match(await dialog.innerText(), /Connecting cancel-me was cancelled/);
    assert.doesNotMatch(await dialog.innerText(), /failed/);
    const buttons = (await dialog.locator('.monaco-button').allInnerTexts()).map((b) => b.trim()).filter(Boolean);
    assert.deepEqual([...buttons].sort(), ['Keep', 'Roll Back']);
    await workbench.screenshot('register-cancelled-dialog');
    await control.resetFaults();
    await dialog.getByRole('button', { name: 'Keep', exact: true }).click();
    await workbench.waitForNotification(/Connecting cancel-me was cancelled/, 30_000);
    await workbench.waitForNotification(/cancel-me, kept after the cancelled connect, is now ACTIVE in us-west-2/, 120_000);
    await cleanUp('cancel-me');
  });

  it('a context without admin rights is told so at once, lists what is missing in a document, and hands the installation to an administrator', async () => {
    const { workbench, server } = session!;
    const page = workbench.page;
    await startRegister(session!);
    await pick(page, /^sandbox-viewer$/);
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 60_000 });
    assert.match(await dialog.innerText(), /sandbox-viewer may not install the EKS Connector/);
    await dialog.getByRole('button', { name: 'Show Missing Permissions' }).click();
    await page.locator('.monaco-editor .view-lines', { hasText: 'Permissions missing in sandbox-viewer' }).first().waitFor({ timeout: 30_000 });
    await dialog.waitFor({ timeout: 30_000 });
    await dialog.getByRole('button', { name: 'Register and Hand Off to an Administrator' }).click();
    await pick(page, /^us-west-2$/);
    await atStep(page, 3, true);
    await page.locator(`${QUICK_INPUT} .quick-input-box input`).fill('handed-off');
    await page.keyboard.press('Enter');
    await pick(page, /^OTHER$/);
    await pick(page, /AmazonEKSConnectorAgentRole$/);
    await pick(page, /Full read access/);
    // The simple file dialogs of the browser workbench: a path typed into the quick input.
    const manifests = path.join(outside, 'manifests');
    await fs.mkdir(manifests);
    const pathBox = page.locator(`${QUICK_INPUT} .quick-input-box input`);
    await pathBox.waitFor({ timeout: 30_000 });
    await pathBox.fill(`${manifests}/`);
    await page.locator(`${QUICK_INPUT} .monaco-button`, { hasText: 'Write Manifests Here' }).click();
    await page.waitForFunction((sel) => /activation-secret/.test((document.querySelector(sel) as HTMLInputElement | null)?.value ?? ''), `${QUICK_INPUT} .quick-input-box input`, { timeout: 30_000 });
    assert.ok(!(await pathBox.inputValue()).startsWith(server.workspaceFolder), 'the Secret\'s file defaults outside the workspace');
    const secretFile = path.join(outside, 'handed-off-secret.yaml');
    await pathBox.fill(secretFile);
    await page.locator(`${QUICK_INPUT} .monaco-button`, { hasText: /^(Write Secret Here|OK)$/ }).first().click();
    const done = await workbench.waitForNotification(/handed-off is registered in us-west-2 \(PENDING\)/, 60_000);
    assert.match(done, /activation expires/);
    const manifestText = await fs.readFile(path.join(manifests, 'handed-off-eks-connector.yaml'), 'utf8');
    const secretText = await fs.readFile(secretFile, 'utf8');
    assert.match(secretText, /kind: Secret/);
    const state = JSON.stringify(await control.getState());
    const codes = [...state.matchAll(/"activationCode":"([^"]+)"/g)].map((m) => m[1]);
    assert.ok(codes.length > 0);
    for (const code of codes) assert.ok(!manifestText.includes(code) && !manifestText.includes(Buffer.from(code).toString('base64')), 'the manifests carry no activation code');
    await cleanUp('handed-off');
  });
});

/** Deregisters a registration the test made and removes its connector from the shared cluster. */
async function cleanUp(name: string): Promise<void> {
  const saved = { ...process.env };
  Object.assign(process.env, { AWS_ENDPOINT_URL: emulatorUrl, AWS_ACCESS_KEY_ID: ADMIN_KEY, AWS_SECRET_ACCESS_KEY: 'x', AWS_PROFILE: '' });
  const session = new AwsSession();
  try {
    const kc = new k8s.KubeConfig();
    kc.loadFromDefault();
    kc.setCurrentContext('sandbox-admin');
    await new ConnectorService({ session, kube: new KubeCluster(kc) }).deregister({ region: 'us-west-2', name });
  } finally {
    session.dispose();
    process.env = saved;
  }
}

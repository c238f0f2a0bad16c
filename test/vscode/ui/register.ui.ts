// Registering the cluster of a kube context, clicked through the real workbench: the guided command against the AWS
// emulator and the real API server (both started by the runner), with the simulated agent making it ACTIVE.
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { startWorkbenchSession, type WorkbenchSession } from '../harness/browser';
import { REPO_ROOT } from '../harness/codeServer';
import { EmulatorControl } from '../../../emulator/src/control-client';
import { TEST_ACCOUNT, vscodeTestSeed } from '../fixtures/awsWorld';
import * as k8s from '@kubernetes/client-node';
import { CONNECTOR_NAMESPACE } from '../../../src/core/connector/names';
import { ACTIVATION_SECRET_NAME, AGENT_CONFIG_MAP_NAME } from '../../../src/core/connector/manifest';
import { FULL_ACCESS_CLUSTER_ROLE_NAME, IMPERSONATION_ROLE_NAME } from '../../../src/core/connector/consoleAccess';
import { DEFAULT_CONNECTOR_IMAGE } from '../../../src/core/connector/images';

const emulatorUrl = process.env.EKS_TEST_EMULATOR_URL ?? '';
const MIRRORED_SSM_AGENT = 'mirror.example.com/ssm/amazon-ssm-agent:3.2.2303.0';

async function pick(page: Page, label: RegExp, timeout = 60_000): Promise<void> {
  const row = page.locator('.quick-input-widget .monaco-list-row', { has: page.locator('.label-name', { hasText: label }) }).first();
  await row.waitFor({ timeout });
  await row.click();
}

describe('Register with EKS (UI)', function () {
  this.timeout(240_000);
  let session: WorkbenchSession | undefined;
  const activationCodes: string[] = [];

  before(async function () {
    if (!emulatorUrl || !process.env.KUBECONFIG) this.skip();
    const control = new EmulatorControl(emulatorUrl);
    await control.loadSeed(vscodeTestSeed());
    await control.resetFaults();
    session = await startWorkbenchSession({
      extensionDevelopmentPath: REPO_ROOT,
      // The SSM agent image comes from a (mirror) setting; the connector image stays the pinned default.
      server: { settings: { 'eksConnector.profile': 'ci', 'eksConnector.regions': ['us-west-2'], 'eksConnector.ssmAgentImage': MIRRORED_SSM_AGENT } },
    });
  });

  afterEach(async function () {
    if (this.currentTest?.state !== 'failed' || !session) return;
    await session.workbench.screenshot(`failed-${this.currentTest.title}`).catch(() => undefined);
    // The extension's own log says what the commands did, which the page may no longer show.
    for (const file of await filesUnder(session.server.userDataDir)) {
      if (/EKS Connector\.log$/.test(file)) console.log(`--- ${file}\n${(await fs.readFile(file, 'utf8')).split('\n').slice(-40).join('\n')}`);
    }
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
    // The name step shows first and fills in its suggestion a moment later: wait for the step, then for a value.
    await page.locator('.quick-input-widget .quick-input-titlebar', { hasText: /\(3\/\d+\)/ }).waitFor({ timeout: 60_000 });
    await page.waitForFunction((sel) => ((document.querySelector(sel) as HTMLInputElement | null)?.value ?? '') !== '', '.quick-input-widget .quick-input-box input', { timeout: 30_000 }).catch(() => undefined);
    assert.equal(await name.inputValue(), 'sandbox-admin', 'the name defaults from the context');
    await name.fill('ui-registered');
    // The name is checked against EKS as it is typed; Enter waits for that check before it accepts.
    await page.keyboard.press('Enter');
    await pick(page, /^OTHER$/);
    await pick(page, /Create AmazonEKSConnectorAgentRole/);
    // Console access for the caller, restricted to one namespace chosen from the cluster's own list.
    await pick(page, /Only in chosen namespaces/);
    await pick(page, /^default$/);
    await page.keyboard.press('Enter');
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

    // Kept for the secret scan at the end: the emulator forgets the code once the cluster is deregistered.
    const state = JSON.stringify(await new EmulatorControl(emulatorUrl).getState());
    activationCodes.push(...[...state.matchAll(/"activationCode":"([^"]+)"/g)].map((m) => m[1]));
    assert.ok(activationCodes.length > 0, 'the emulator holds the activation code');

    // The caller got read access in "default" only, through a RoleBinding there and no cluster-wide binding.
    const callerArn = `arn:aws:iam::${TEST_ACCOUNT}:user/ci-admin`;
    assert.deepEqual(await impersonated(), [callerArn], 'the connector may impersonate exactly the caller');
    assert.deepEqual(await bindingNamespacesOf(callerArn), ['default'], 'the caller is bound in the chosen namespace only');
    assert.ok(!(await fullAccessSubjects()).includes(callerArn), 'the caller has no cluster-wide read binding');

    // The connector runs the images the settings chose, on linux/amd64 nodes (the default placement).
    const pod = (await kube().makeApiClient(k8s.AppsV1Api).readNamespacedStatefulSet({ name: 'eks-connector', namespace: CONNECTOR_NAMESPACE })).spec!.template.spec!;
    const images = Object.fromEntries([...(pod.initContainers ?? []), ...pod.containers].map((c) => [c.name, c.image]));
    assert.deepEqual(images, { 'connector-init': DEFAULT_CONNECTOR_IMAGE, 'connector-agent': MIRRORED_SSM_AGENT, 'connector-proxy': DEFAULT_CONNECTOR_IMAGE });
    assert.equal(pod.nodeSelector?.['kubernetes.io/arch'], 'amd64');
  });

  it('grants, revokes, repairs and deregisters from the cluster\'s context menu', async () => {
    const { workbench } = session!;
    const page = workbench.page;
    await workbench.showViewContainer('EKS Connector', 30_000);
    const viewer = `arn:aws:iam::${TEST_ACCOUNT}:role/ui-viewer`;
    // Manifests saved to the workspace at registration (as "Save Manifests to Workspace" writes them).
    const savedFile = path.join(session!.server.workspaceFolder, 'eks-connector', 'ui-registered.yaml');
    await fs.mkdir(path.dirname(savedFile), { recursive: true });
    await fs.writeFile(savedFile, '# EKS Connector for ui-registered\n');

    // Grant: an assumed-role session ARN is mapped to its role; full read access.
    await contextMenu(page, 'ui-registered', 'Grant Console Access…');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ timeout: 30_000 });
    assert.match(await input.getAttribute('placeholder') ?? '', new RegExp(`^arn:aws:iam::${TEST_ACCOUNT}:role/`), 'the input shows an example ARN');
    // An ARN from another account is allowed, with a warning saying what that means.
    await input.fill('arn:aws:iam::999988887777:role/elsewhere');
    await page.locator('.quick-input-widget .quick-input-message', { hasText: /in account 999988887777, not/ }).waitFor({ timeout: 15_000 });
    await input.fill('arn:aws:iam::12:user/x');
    // A bad ARN is refused as typed, with the reason.
    await page.locator('.quick-input-widget .quick-input-message', { hasText: /must be 12 digits/ }).waitFor({ timeout: 15_000 });
    await input.fill(`arn:aws:sts::${TEST_ACCOUNT}:assumed-role/ui-viewer/session-1`);
    await page.keyboard.press('Enter');
    await pick(page, /Full read access/);
    const granted = await workbench.waitForNotification(`${viewer} can now use the EKS console on ui-registered`, 60_000);
    assert.match(granted, /saved manifests eks-connector\/ui-registered\.yaml no longer match the cluster/, 'Grant says the saved manifests are out of date');
    assert.deepEqual((await impersonated()).sort(), [`arn:aws:iam::${TEST_ACCOUNT}:user/ci-admin`, viewer].sort(), 'the impersonation rule lists the new role');
    assert.ok((await fullAccessSubjects()).includes(viewer), 'the role is bound to cluster-wide read access');

    // Revoke: the pick lists the current grants with their scope, the caller marked "(you)".
    await contextMenu(page, 'ui-registered', 'Revoke Console Access…');
    const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: viewer }).first();
    await row.waitFor({ timeout: 60_000 });
    assert.match(await page.locator('.quick-input-widget .quick-input-box input').getAttribute('placeholder') ?? '', /Choose whose EKS console access to remove/);
    const mine = await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'ci-admin' }).first().innerText();
    assert.match(mine, /\(you\).*namespaces default/s);
    assert.doesNotMatch(await row.innerText(), /\(you\)/);
    // Revoking your own access asks first; Cancel keeps it.
    await page.locator('.quick-input-widget .quick-input-box input').fill('ci-admin');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: viewer }).waitFor({ state: 'detached', timeout: 10_000 });
    await page.keyboard.press('Enter');
    const own = page.locator('.monaco-dialog-box');
    await own.waitFor({ timeout: 30_000 });
    assert.match(await own.innerText(), /Revoke your own console access to ui-registered\?/);
    await own.getByRole('button', { name: 'Cancel', exact: true }).click();
    await own.waitFor({ state: 'hidden', timeout: 10_000 });
    assert.ok((await impersonated()).includes(`arn:aws:iam::${TEST_ACCOUNT}:user/ci-admin`), 'Cancel kept the caller\'s access');
    await contextMenu(page, 'ui-registered', 'Revoke Console Access…');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: viewer }).first().waitFor({ timeout: 60_000 });
    // Narrowed to the one row and accepted with Enter: a click can land on a neighbour while the list re-renders.
    await page.locator('.quick-input-widget .quick-input-box input').fill('ui-viewer');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'ci-admin' }).waitFor({ state: 'detached', timeout: 10_000 });
    await page.keyboard.press('Enter');
    await workbench.waitForNotification(`${viewer} no longer has console access to ui-registered`, 60_000);
    assert.deepEqual(await impersonated(), [`arn:aws:iam::${TEST_ACCOUNT}:user/ci-admin`], 'the revoked role can no longer be impersonated');
    assert.ok(!(await fullAccessSubjects()).includes(viewer), 'its binding is gone');

    // Repair: an object deleted behind our back comes back; the activation Secret is kept as it was.
    const core = kube().makeApiClient(k8s.CoreV1Api);
    const secretBefore = await core.readNamespacedSecret({ name: ACTIVATION_SECRET_NAME, namespace: CONNECTOR_NAMESPACE });
    await core.deleteNamespacedConfigMap({ name: AGENT_CONFIG_MAP_NAME, namespace: CONNECTOR_NAMESPACE });
    await contextMenu(page, 'ui-registered', 'Repair Connector');
    // It says what it found wrong and what it did.
    await workbench.waitForNotification(new RegExp(`Repaired the connector of ui-registered: ConfigMap ${CONNECTOR_NAMESPACE}/${AGENT_CONFIG_MAP_NAME} was missing and was recreated`), 60_000);
    await core.readNamespacedConfigMap({ name: AGENT_CONFIG_MAP_NAME, namespace: CONNECTOR_NAMESPACE });
    const secretAfter = await core.readNamespacedSecret({ name: ACTIVATION_SECRET_NAME, namespace: CONNECTOR_NAMESPACE });
    assert.equal(secretAfter.metadata?.uid, secretBefore.metadata?.uid, 'the activation Secret was not replaced');

    // Deregister: the confirmation names the context it cleans; Cancel is first and focused, so Enter keeps everything.
    await contextMenu(page, 'ui-registered', 'Deregister from EKS…');
    const confirm = page.locator('.quick-input-widget');
    await confirm.locator('.quick-input-title', { hasText: 'Deregister ui-registered from EKS in us-west-2?' }).waitFor({ timeout: 60_000 });
    assert.match(await confirm.locator('.monaco-list-row', { hasText: 'Deregister ui-registered' }).first().innerText(), /kube context sandbox-admin/);
    assert.match(await confirm.locator('.monaco-list-row.focused').innerText(), /Cancel/, 'Cancel is the focused choice');
    await workbench.screenshot('deregister-confirm');
    await page.keyboard.press('Enter');
    await confirm.waitFor({ state: 'hidden', timeout: 10_000 });
    assert.equal((await core.readNamespace({ name: CONNECTOR_NAMESPACE })).status?.phase, 'Active', 'Enter on the confirmation changed nothing');
    await contextMenu(page, 'ui-registered', 'Deregister from EKS…');
    await pick(page, /Deregister ui-registered/);
    // Deregister offers to remove the saved manifests, and removes them when asked.
    const deregistered = page.locator('.notifications-toasts .notification-toast', { hasText: 'ui-registered is deregistered.' }).first();
    await deregistered.waitFor({ timeout: 120_000 });
    assert.match(await deregistered.innerText(), /saved manifests are still in the workspace: eks-connector\/ui-registered\.yaml/);
    await deregistered.getByRole('button', { name: 'Delete Saved Manifests' }).click();
    await waitUntil('the saved manifests are deleted', async () => !(await fs.stat(savedFile).then(() => true, () => false)));
    assert.equal(await core.readNamespace({ name: CONNECTOR_NAMESPACE }).then((ns) => ns.status?.phase ?? 'present', () => 'gone') === 'Active', false, 'the connector namespace is gone or terminating');
    assert.deepEqual(await impersonated().catch(() => []), [], 'the impersonation rule is gone');
    await page.locator('.part.sidebar .monaco-list-row', { hasText: 'ui-registered' }).first().waitFor({ state: 'detached', timeout: 30_000 });
  });

  it('offers only Deregister on a cluster whose activation expired', async () => {
    const { workbench } = session!;
    const page = workbench.page;
    await workbench.showViewContainer('EKS Connector', 30_000);
    const menuOf = async (label: string): Promise<string[]> => {
      const row = page.locator('.part.sidebar .monaco-list-row', { hasText: label }).first();
      await row.waitFor({ timeout: 30_000 });
      await row.click({ button: 'right' });
      await page.getByRole('menuitem').first().waitFor({ timeout: 15_000 });
      const entries = (await page.getByRole('menuitem').allInnerTexts()).map((t) => t.trim());
      await page.keyboard.press('Escape');
      return entries;
    };
    const expired = await menuOf('edge-expired');
    assert.ok(expired.some((e) => e.startsWith('Deregister from EKS')), `Deregister is offered: ${expired.join(' | ')}`);
    for (const absent of ['Grant Console Access', 'Revoke Console Access', 'Repair Connector']) {
      assert.ok(!expired.some((e) => e.startsWith(absent)), `${absent} is not offered on an expired cluster: ${expired.join(' | ')}`);
    }
    const pending = await menuOf('edge-pending');
    assert.ok(pending.some((e) => e.startsWith('Grant Console Access')), `a pending (not expired) cluster keeps Grant: ${pending.join(' | ')}`);
  });

  it('deregistering a cluster no kube context reaches lists what stays in the cluster and asks first', async () => {
    const { workbench } = session!;
    const page = workbench.page;
    await workbench.showViewContainer('EKS Connector', 30_000);
    await contextMenu(page, 'onprem', 'Deregister from EKS…');
    // Other contexts are tried only when the user checks them; none is checked here.
    const title = page.locator('.quick-input-widget .quick-input-title');
    await title.filter({ hasText: /Which kube contexts|Deregister onprem/ }).waitFor({ timeout: 60_000 });
    if (/Which kube contexts/.test(await title.innerText())) await page.keyboard.press('Escape');
    await title.filter({ hasText: 'Deregister onprem from EKS in us-west-2?' }).waitFor({ timeout: 60_000 });
    const rows = await page.locator('.quick-input-widget .monaco-list-row').allInnerTexts();
    assert.match(rows.join('\n'), /from AWS only/);
    for (const left of [`namespace ${CONNECTOR_NAMESPACE}`, `ClusterRoleBinding ${IMPERSONATION_ROLE_NAME}`, FULL_ACCESS_CLUSTER_ROLE_NAME]) {
      assert.ok(rows.some((r) => r.includes(left)), `the confirmation says ${left} stays: ${rows.join(' | ')}`);
    }
    assert.match(await page.locator('.quick-input-widget .monaco-list-row.focused').innerText(), /Cancel/, 'Cancel is the focused choice');
    await workbench.screenshot('deregister-no-context-confirm');
    await pick(page, /Deregister onprem from AWS only/);
    // The AWS side goes; the message names the command and what is left in the cluster.
    const message = await workbench.waitForNotification(/onprem was deregistered from EKS, but some things remain/, 120_000);
    assert.match(message, /Deregister from EKS: onprem was deregistered/);
    assert.match(message, new RegExp(`ClusterRoleBinding ${IMPERSONATION_ROLE_NAME}`));
  });

  it('after register, grant, revoke, repair and deregister, the activation code is in no log, setting, state or workspace file', async () => {
    assert.ok(activationCodes.length > 0, 'the registration test recorded the activation code');
    const secrets = activationCodes.flatMap((c) => [c, Buffer.from(c).toString('base64')]);
    const { server, browser } = session!;
    const files = [...await filesUnder(server.userDataDir), ...await filesUnder(server.workspaceFolder), server.logFile, browser.consoleLogFile];
    let sawOurLog = false;
    for (const file of files) {
      const content = await fs.readFile(file).catch(() => Buffer.alloc(0));
      if (content.includes('Deregistered ui-registered')) sawOurLog = true;
      for (const secret of secrets) assert.ok(!content.includes(secret), `the activation code appears in ${file}`);
    }
    assert.ok(sawOurLog, `the scan covered the EKS Connector output channel's log to the end (${files.length} files scanned)`);
  });
});

/** Right-clicks the Clusters view row with this label and runs a context-menu entry. */
async function contextMenu(page: Page, rowLabel: string, entry: string): Promise<void> {
  const row = page.locator('.part.sidebar .monaco-list-row', { hasText: rowLabel }).first();
  await row.waitFor({ timeout: 30_000 });
  await row.click({ button: 'right' });
  const item = page.getByRole('menuitem', { name: entry, exact: true });
  await item.waitFor({ timeout: 15_000 });
  await item.hover();
  await item.click();
  // A click that lands while the menu is still settling is ignored; the hovered entry then takes Enter.
  if (!(await item.waitFor({ state: 'hidden', timeout: 2000 }).then(() => true, () => false))) await page.keyboard.press('Enter');
  await item.waitFor({ state: 'hidden', timeout: 5000 });
}

function kube(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromDefault();
  kc.setCurrentContext('sandbox-admin');
  return kc;
}

/** The user names the connector's service account may impersonate (always listed by name). */
async function impersonated(): Promise<string[]> {
  const role = await kube().makeApiClient(k8s.RbacAuthorizationV1Api).readClusterRole({ name: IMPERSONATION_ROLE_NAME });
  return (role.rules ?? []).filter((r) => r.resources?.includes('users')).flatMap((r) => r.resourceNames ?? []);
}

async function fullAccessSubjects(): Promise<string[]> {
  const list = await kube().makeApiClient(k8s.RbacAuthorizationV1Api).listClusterRoleBinding();
  return list.items.filter((b) => b.roleRef.name === FULL_ACCESS_CLUSTER_ROLE_NAME).flatMap((b) => (b.subjects ?? []).map((s) => s.name));
}

async function bindingNamespacesOf(user: string): Promise<string[]> {
  const list = await kube().makeApiClient(k8s.RbacAuthorizationV1Api).listRoleBindingForAllNamespaces();
  return list.items.filter((b) => b.subjects?.some((s) => s.kind === 'User' && s.name === user)).map((b) => b.metadata?.namespace ?? '').sort();
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

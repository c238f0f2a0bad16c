// `npm start` (the sandbox, here without Kubernetes), used as a user would: open its URL in the browser (its
// README opens), then Ctrl-C. That stops everything it started and leaves nothing in the temp folder (not the
// emulator's seed with the sandbox keys, nor VS Code's IPC sockets) and nothing in HOME.
// Run: npx tsx scripts/vscode/run-vscode-tests.ts --ui-only --grep sandbox
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { launchBrowser, type BrowserSession } from '../harness/browser';
import { allProcs, REPO_ROOT } from '../harness/codeServer';

/** What is in a folder, but for the compile cache tsx keeps in the temp folder (tsx-<uid>, reused by design). */
const leftIn = (dir: string) => fs.readdirSync(dir).filter((name) => !/^tsx-\d+$/.test(name));

describe('sandbox (npm start)', function () {
  this.timeout(240_000); // build check, code-server install check, emulator and code-server start on 2 cores

  let base: string;
  let sandbox: ChildProcess | undefined;
  let browser: BrowserSession | undefined;

  before(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'eks-sandbox-test-'));
    for (const dir of ['tmp', 'home']) fs.mkdirSync(path.join(base, dir));
  });

  after(async () => {
    await browser?.close();
    const child = sandbox;
    if (child?.pid && child.exitCode === null && child.signalCode === null) {
      // A failed test leaves it running: stop it as Ctrl-C does, since code-server runs in a process group of its
      // own and outlives a killed sandbox; whatever still runs from its folders after that is killed.
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      process.kill(-child.pid, 'SIGINT');
      await Promise.race([exited, new Promise<void>((resolve) => setTimeout(resolve, 20_000).unref())]);
      for (const p of allProcs().filter((q) => q.cmd.includes(base))) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
    }
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('opens its workspace README on first start; Ctrl-C stops the emulator and VS Code and removes every temporary folder', async () => {
    // Its own temp folder and HOME, so only what the sandbox leaves is seen; its own state folder, so a
    // sandbox the user runs is not touched. Detached: a process group, as a terminal's Ctrl-C signals one.
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/sandbox/start.ts', '--no-kube', '--port', '0', '--dir', path.join(base, 'state')], {
      cwd: REPO_ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TMPDIR: path.join(base, 'tmp'), HOME: path.join(base, 'home') },
    });
    sandbox = child;
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    const url = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const match = /Open:\s+(http:\/\/\S+)/.exec(output);
        if (match) {
          clearInterval(timer);
          resolve(match[1]);
        }
      }, 200);
      void exited.then((code) => {
        clearInterval(timer);
        reject(new Error(`the sandbox exited with code ${code} before it was running:\n${output}`));
      });
    });
    // The workbench with the extension (and so an extension host, with VS Code's own sockets) running.
    browser = await launchBrowser();
    const page = await browser.newPage();
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
    await page.locator('.part.activitybar .action-item [aria-label^="EKS Connector"]').first().waitFor({ state: 'visible', timeout: 60_000 });
    // First start: the workspace README, which says what the sandbox holds, is open (as a preview).
    await page.locator('.part.editor .tab', { hasText: 'README.md' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    // A terminal too: its shell integration and the git extension's askpass open sockets of their own.
    // The README preview is a webview: keys pressed while it has focus never reach the workbench, so focus the
    // workbench (the Clusters view's icon) before opening the command palette.
    await page.locator('.part.activitybar .action-item [aria-label^="EKS Connector"]').first().click();
    await page.keyboard.press('F1');
    await page.locator('.quick-input-widget .quick-input-box input').fill('>Terminal: Create New Terminal');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: /^Terminal: Create New Terminal/ }).first().click();
    await page.locator('.terminal-wrapper .xterm').first().waitFor({ state: 'visible', timeout: 30_000 });
    await browser.close();
    assert.ok(allProcs().some((p) => p.cmd.includes(base)), 'its emulator and code-server run');
    assert.deepEqual(leftIn(path.join(base, 'tmp')).filter((name) => name.startsWith('eksc-seed-')), [], 'the seed with its keys is not kept while running');

    process.kill(-child.pid!, 'SIGINT');
    assert.equal(await exited, 0, output);
    assert.deepEqual(leftIn(path.join(base, 'tmp')), [], 'nothing is left in the temp folder');
    assert.deepEqual(fs.readdirSync(path.join(base, 'home')), [], 'nothing is written to HOME');
    const survivors = allProcs().filter((p) => p.cmd.includes(base) && p.state !== 'Z');
    assert.deepEqual(survivors.map((p) => `${p.pid} ${p.cmd.slice(0, 100)}`), [], 'no process of the sandbox is left');
  });
});

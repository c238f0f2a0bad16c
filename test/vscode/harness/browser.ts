// Drives the code-server workbench in Debian's Chromium through playwright-core.
// Only loopback may be contacted, hence the networking flags; every launch gets a fresh profile folder.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { allProcs, BenchError, isAlive, readProc, startCodeServer, TEST_RESULTS_DIR, type CodeServer, type StartCodeServerOptions } from './codeServer';

export const CHROMIUM_PATH = process.env.EKS_CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox', // we run as root in CI
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking', // without these Chromium floods the closed network with refused connections
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-dev-shm-usage',
];

export interface ThemeInfo {
  /** The `workbench.colorTheme` setting value (VS Code 1.100). */
  setting: string;
  /** The label in Preferences: Color Theme. */
  label: string;
  /** The class the workbench element carries while the theme is active. */
  cssClass: string;
}

/** The color themes the UI screenshots use. */
export const THEMES = {
  darkModern: { setting: 'Default Dark Modern', label: 'Dark Modern', cssClass: 'vscode-theme-defaults-themes-dark_modern-json' },
  lightModern: { setting: 'Default Light Modern', label: 'Light Modern', cssClass: 'vscode-theme-defaults-themes-light_modern-json' },
  highContrast: { setting: 'Default High Contrast', label: 'Dark High Contrast', cssClass: 'vscode-theme-defaults-themes-hc_black-json' },
  highContrastLight: { setting: 'Default High Contrast Light', label: 'Light High Contrast', cssClass: 'vscode-theme-defaults-themes-hc_light-json' },
} as const satisfies Record<string, ThemeInfo>;

export interface BrowserSession {
  context: BrowserContext;
  /** Browser console and page errors, one per line (kept for failure reports). */
  consoleLogFile: string;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export interface LaunchOptions {
  headless?: boolean;
  viewport?: { width: number; height: number };
  consoleLogFile?: string;
}

/** Temp folders of browsers not closed yet: removed when this process exits without closing them. */
const liveTempDirs = new Set<string>();
process.on('exit', () => {
  for (const dir of liveTempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

export async function launchBrowser(options: LaunchOptions = {}): Promise<BrowserSession> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new BenchError('install', `Chromium not found at ${CHROMIUM_PATH}; run: bash scripts/vscode/install-code-server.sh`);
  }
  // One temp folder per launch holds the profile and Chromium's HOME: besides its profile folder, Chromium writes
  // crash-report settings to ~/.config/chromium and dconf's cache to ~/.cache, which must not be the user's own.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'eks-chromium-'));
  liveTempDirs.add(tmp);
  const removeTmp = () => {
    fs.rmSync(tmp, { recursive: true, force: true });
    liveTempDirs.delete(tmp);
  };
  const profile = path.join(tmp, 'profile');
  const home = path.join(tmp, 'home');
  fs.mkdirSync(path.join(home, 'tmp'), { recursive: true });
  const consoleLogFile =
    options.consoleLogFile ?? path.join(TEST_RESULTS_DIR, 'logs', `browser-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.log`);
  fs.mkdirSync(path.dirname(consoleLogFile), { recursive: true });
  let context: BrowserContext;
  try {
    // A persistent context with our own fresh --user-data-dir (playwright kills Chromium's process group on close).
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: options.headless ?? true,
      args: [...CHROMIUM_ARGS],
      // TMPDIR too: a killed Chromium leaves its singleton socket folder (org.chromium.Chromium.*) there.
      env: {
        ...process.env,
        HOME: home,
        XDG_CONFIG_HOME: path.join(home, '.config'),
        XDG_CACHE_HOME: path.join(home, '.cache'),
        XDG_DATA_HOME: path.join(home, '.local', 'share'),
        TMPDIR: path.join(home, 'tmp'),
      },
      viewport: options.viewport ?? { width: 1400, height: 900 },
      timeout: 60_000,
    });
  } catch (err) {
    removeTmp();
    throw new BenchError('browser', `Chromium did not start: ${err instanceof Error ? err.message : String(err)}`);
  }
  const log = (line: string) => fs.appendFileSync(consoleLogFile, `${new Date().toISOString()} ${line}\n`);
  const watch = (page: Page) => {
    page.on('console', (msg) => log(`[console.${msg.type()}] ${msg.text()}`));
    page.on('pageerror', (err) => log(`[pageerror] ${err.message}`));
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  let closed = false;
  return {
    context,
    consoleLogFile,
    async newPage() {
      // The persistent context opens with one blank page; reuse it first.
      const blank = context.pages().find((p) => p.url() === 'about:blank');
      return blank ?? context.newPage();
    },
    async close() {
      if (closed) return;
      closed = true;
      // Chromium's processes carry our profile folder on their command line: use it to verify they are gone.
      const tracked = allProcs().filter((p) => p.cmd.includes(`--user-data-dir=${profile}`));
      await context.close().catch(() => undefined);
      // Wait until they are gone from /proc entirely (children re-parented to init linger as zombies briefly).
      const present = () => tracked.filter((p) => readProc(p.pid)?.startTime === p.startTime);
      const deadline = Date.now() + 5000;
      while (present().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      for (const p of tracked.filter(isAlive)) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
      removeTmp();
    },
  };
}

export interface OpenWorkbenchOptions {
  /** Folder to open; defaults to the server's workspace folder. */
  folder?: string;
  /** One or several development extensions (absolute paths on the server machine). */
  extensionDevelopmentPath?: string | readonly string[];
  /** The compiled in-host test entry (absolute path) exporting run(). */
  extensionTestsPath?: string;
  /**
   * Color theme (see THEMES): written into the user settings before the page loads, then checked on the
   * workbench and, if not active, chosen through the palette. (Seen: with the repo itself as development
   * extension, the theme from settings.json is not applied at start-up and Light+ shows; the palette works.)
   */
  theme?: ThemeInfo;
  /** Reuse this page instead of opening a new one. */
  page?: Page;
  timeoutMs?: number;
}

/**
 * The workbench URL. Development extensions and the tests entry travel in the `payload` query parameter as
 * `vscode-remote://<host:port><absolute path>`; the authority must equal the page's host:port.
 */
export function workbenchUrl(server: CodeServer, options: OpenWorkbenchOptions = {}): string {
  const remote = (p: string) => `vscode-remote://127.0.0.1:${server.port}${path.resolve(p)}`;
  const payload: [string, string][] = [];
  const devPaths = options.extensionDevelopmentPath === undefined ? [] : ([] as string[]).concat(options.extensionDevelopmentPath);
  for (const p of devPaths) payload.push(['extensionDevelopmentPath', remote(p)]);
  if (options.extensionTestsPath) payload.push(['extensionTestsPath', remote(options.extensionTestsPath)]);
  const query = new URLSearchParams({ folder: path.resolve(options.folder ?? server.workspaceFolder) });
  if (payload.length > 0) query.set('payload', JSON.stringify(payload));
  return `${server.url}/?${query.toString()}`;
}

export class Workbench {
  constructor(
    readonly page: Page,
    readonly server: CodeServer,
  ) {}

  /** Runs a command through the palette: F1, type its title, Enter on the first match. */
  async runCommand(title: string, timeoutMs = 15_000): Promise<void> {
    const page = this.page;
    await page.locator('.monaco-workbench').click({ position: { x: 5, y: 5 }, force: true }).catch(() => undefined);
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: timeoutMs });
    await input.fill(`>${title}`);
    // Click the row whose label is exactly the title: fuzzy ranking may put another command first.
    await this.pickRow(title, timeoutMs);
  }

  /** Clicks the quick-pick row whose label is exactly `label` (the keybinding and description are ignored). */
  async pickRow(label: string, timeoutMs = 15_000): Promise<void> {
    const exact = new RegExp(`^\\s*${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
    const row = this.page
      .locator('.quick-input-widget .monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: exact }) })
      .first();
    await row.waitFor({ state: 'visible', timeout: timeoutMs });
    await row.click();
  }

  /** Waits for a notification toast containing the text; resolves with its full text. */
  async waitForNotification(text: string | RegExp, timeoutMs = 15_000): Promise<string> {
    const toast = this.page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
    try {
      await toast.waitFor({ state: 'visible', timeout: timeoutMs });
      return (await toast.innerText()).trim();
    } catch (error) {
      // A toast hides itself after a while (sooner on a busy machine); the notification center keeps it.
      await this.runCommand('Notifications: Show Notifications').catch(() => undefined);
      const kept = this.page.locator('.notifications-center .notification-list-item', { hasText: text }).first();
      if (!(await kept.waitFor({ state: 'visible', timeout: 5000 }).then(() => true, () => false))) throw error;
      const found = (await kept.innerText()).trim();
      await this.page.keyboard.press('Escape');
      return found;
    }
  }

  /** Makes the theme active (checked by the workbench's CSS class), through the palette when needed. */
  async ensureTheme(theme: ThemeInfo, timeoutMs = 15_000): Promise<void> {
    // The workbench carries the theme's class once the theme is applied.
    const active = (timeout: number) => this.page.waitForFunction(
      (cssClass) => document.querySelector('.monaco-workbench')?.classList.contains(cssClass) === true, theme.cssClass, { timeout },
    ).then(() => true, () => false);
    // The theme service restores the configured theme shortly after start-up; only if it does not, use the palette.
    if (await active(3000)) return;
    await this.setColorThemeByLabel(theme.label, timeoutMs);
    if (!(await active(timeoutMs))) throw new Error(`theme ${theme.label} did not become active within ${timeoutMs} ms`);
  }

  /** Switches the color theme through the palette (Preferences: Color Theme), by its label, e.g. "Light Modern". */
  async setColorThemeByLabel(label: string, timeoutMs = 15_000): Promise<void> {
    await this.runCommand('Preferences: Color Theme', timeoutMs);
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await input.fill(label);
    await this.pickRow(label, timeoutMs);
    await this.page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: timeoutMs });
  }

  /** The activity-bar entry of a view container, by its title (e.g. "EKS Connector"). */
  activityBarItem(title: string) {
    return this.page.locator(`.part.activitybar .action-item [aria-label^="${title.replace(/"/g, '\\"')}"]`).first();
  }

  /** Shows a view container in the side bar by its activity-bar title; clicks only if not already shown. */
  async showViewContainer(title: string, timeoutMs = 15_000): Promise<void> {
    const sidebarTitle = this.page.locator('.part.sidebar .composite.title', { hasText: title });
    if (await sidebarTitle.isVisible()) return; // clicking the active entry would hide the side bar
    await this.activityBarItem(title).click({ timeout: timeoutMs });
    await sidebarTitle.waitFor({ state: 'visible', timeout: timeoutMs });
  }

  /** Saves a PNG into test-results/screenshots/ and returns its path. */
  async screenshot(name: string): Promise<string> {
    const file = path.join(TEST_RESULTS_DIR, 'screenshots', `${name.replace(/[^\w.-]+/g, '-')}.png`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await this.page.screenshot({ path: file });
    return file;
  }
}

/** Opens the workbench in a page and waits for `.monaco-workbench`. */
export async function openWorkbench(session: BrowserSession, server: CodeServer, options: OpenWorkbenchOptions = {}): Promise<Workbench> {
  if (options.theme) server.updateSettings({ 'workbench.colorTheme': options.theme.setting });
  const page = options.page ?? (await session.newPage());
  const url = workbenchUrl(server, options);
  const timeout = options.timeoutMs ?? 60_000;
  try {
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout });
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout });
    // The activity bar is rendered once the workbench layout is restored.
    await page.locator('.part.activitybar').waitFor({ state: 'visible', timeout });
  } catch (err) {
    throw new BenchError(
      'page load',
      `workbench did not load from ${url}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}; browser log: ${session.consoleLogFile}`,
      server.logFile,
    );
  }
  const workbench = new Workbench(page, server);
  if (options.theme) {
    try {
      await workbench.ensureTheme(options.theme);
    } catch (err) {
      throw new BenchError('page load', `could not apply theme ${options.theme.label}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, server.logFile);
    }
  }
  return workbench;
}

export interface WorkbenchSession {
  server: CodeServer;
  browser: BrowserSession;
  workbench: Workbench;
  /** Closes the browser and stops the server (verifying no process is left); safe to call twice. */
  close(): Promise<void>;
}

/** For UI tests: server + browser + workbench with the given development extension(s), cleaned up by close(). */
export async function startWorkbenchSession(
  options: OpenWorkbenchOptions & { workspaceFolder?: string; server?: Omit<StartCodeServerOptions, 'workspaceFolder'> },
): Promise<WorkbenchSession> {
  const workspaceFolder = options.workspaceFolder ?? fs.mkdtempSync(path.join(os.tmpdir(), 'eks-ui-workspace-'));
  const ownWorkspace = options.workspaceFolder === undefined;
  if (ownWorkspace) liveTempDirs.add(workspaceFolder);
  const server = await startCodeServer({ ...options.server, workspaceFolder });
  let browser: BrowserSession | undefined;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await browser?.close();
    await server.stop();
    if (ownWorkspace) {
      fs.rmSync(workspaceFolder, { recursive: true, force: true });
      liveTempDirs.delete(workspaceFolder);
    }
  };
  try {
    browser = await launchBrowser();
    const workbench = await openWorkbench(browser, server, { ...options, folder: options.folder ?? workspaceFolder });
    return { server, browser, workbench, close };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}

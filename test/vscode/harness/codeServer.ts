// Starts and stops code-server 4.100.3 (= VS Code 1.100.3, the same Node extension host as desktop VS Code)
// for the real-VS-Code test bench. Installed by scripts/vscode/install-code-server.sh into .cache/code-server.
// The recipe's reasons are in scripts/vscode/install-code-server.sh.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const CODE_SERVER_VERSION = '4.100.3';
/** Screenshots, logs and result files: git-ignored. */
export const TEST_RESULTS_DIR = path.join(REPO_ROOT, 'test-results');

export function codeServerDir(): string {
  return process.env.EKS_CODE_SERVER_DIR ?? path.join(REPO_ROOT, '.cache', 'code-server');
}

export function codeServerEntry(): string {
  return path.join(codeServerDir(), 'node_modules', 'code-server', 'out', 'node', 'entry.js');
}

/** Which part of the bench failed; every error names it and the log to read. */
export type BenchStep =
  | 'install'
  | 'build'
  | 'port'
  | 'server start'
  | 'browser'
  | 'page load'
  | 'extension host'
  | 'results'
  | 'timeout'
  | 'stop';

export class BenchError extends Error {
  constructor(
    readonly step: BenchStep,
    detail: string,
    readonly logFile?: string,
  ) {
    super(`[${step}] ${detail}${logFile ? ` (log: ${logFile})` : ''}`);
    this.name = 'BenchError';
  }
}

export interface StartCodeServerOptions {
  /** Folder the workbench opens by default. */
  workspaceFolder: string;
  /** Extra environment for the server; the extension host inherits it (AWS_ENDPOINT_URL, AWS_CONFIG_FILE, ...). */
  env?: Record<string, string | undefined>;
  userDataDir?: string;
  extensionsDir?: string;
  logFile?: string;
  /** Merged into <userDataDir>/User/settings.json before start (e.g. workbench.colorTheme). */
  settings?: Record<string, unknown>;
  /** How long to wait for the server to answer HTTP. */
  startTimeoutMs?: number;
  /** Port to try first (the sandbox likes a stable URL); a taken port falls back to any free one. */
  port?: number;
  /** Kill the server and exit on SIGINT/SIGTERM/SIGHUP (default); false when the caller shuts down itself. */
  exitOnSignal?: boolean;
}

export interface CodeServer {
  url: string;
  port: number;
  pid: number;
  logFile: string;
  userDataDir: string;
  extensionsDir: string;
  workspaceFolder: string;
  /** The server log so far (stdout and stderr of code-server and its extension hosts). */
  readLog(): string;
  /** Merges settings into the user settings.json (read by the workbench when a page loads). */
  updateSettings(settings: Record<string, unknown>): void;
  /** Kills the whole process group (and any descendant that left it) and verifies nothing is left. */
  stop(): Promise<void>;
}

/**
 * Settings that keep the workbench quiet, deterministic and off the network (only loopback may be contacted).
 * Tests may override any of them.
 */
export const DEFAULT_SETTINGS: Readonly<Record<string, unknown>> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.settings.enableNaturalLanguageSearch': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.autofetch': false,
  'git.openRepositoryInParentFolders': 'never',
  'npm.fetchOnlinePackageInfo': false,
  'typescript.disableAutomaticTypeAcquisition': true,
  'security.workspace.trust.enabled': false,
  'chat.commandCenter.enabled': false,
};

// ---------------------------------------------------------------------------------------------------------
// /proc helpers: the server spawns extension hosts, a pty host and file watchers; stop() must catch them all.

export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
  startTime: string;
  cmd: string;
}

export function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces and parentheses: the fields we need follow the last ')'.
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    let cmd = '';
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    } catch {
      cmd = stat.slice(stat.indexOf('(') + 1, close);
    }
    return { pid, state: fields[0], ppid: Number(fields[1]), pgid: Number(fields[2]), startTime: fields[19], cmd };
  } catch {
    return undefined; // gone
  }
}

export function allProcs(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const info = readProc(Number(name));
    if (info) out.push(info);
  }
  return out;
}

/** The process and all its descendants (children re-parent to init once the parent dies: snapshot first). */
function processTree(rootPid: number): ProcInfo[] {
  const procs = allProcs();
  const byParent = new Map<number, ProcInfo[]>();
  for (const p of procs) {
    const list = byParent.get(p.ppid) ?? [];
    list.push(p);
    byParent.set(p.ppid, list);
  }
  const root = procs.find((p) => p.pid === rootPid);
  const result: ProcInfo[] = root ? [root] : [];
  for (let i = 0; i < result.length; i++) result.push(...(byParent.get(result[i].pid) ?? []));
  return result;
}

/** Still alive (zombies count as dead) and still the same process (pid not reused). */
export function isAlive(p: ProcInfo): boolean {
  const now = readProc(p.pid);
  return now !== undefined && now.state !== 'Z' && now.startTime === p.startTime;
}

function killQuietly(pidOrGroup: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pidOrGroup, signal);
  } catch {
    // already gone
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Kills a process group plus every process of a snapshotted tree; resolves with the survivors (empty = clean). */
export async function killProcessGroupAndTree(pgid: number, graceMs = 5000): Promise<ProcInfo[]> {
  const tracked = new Map<number, ProcInfo>();
  const track = () => {
    for (const p of processTree(pgid)) tracked.set(p.pid, p);
    for (const p of allProcs()) if (p.pgid === pgid) tracked.set(p.pid, p);
  };
  const survivors = () => [...tracked.values()].filter(isAlive);
  track();
  killQuietly(-pgid, 'SIGTERM');
  for (const p of tracked.values()) if (p.pgid !== pgid) killQuietly(p.pid, 'SIGTERM'); // e.g. pty sessions
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && survivors().length > 0) {
    await sleep(100);
    track(); // late children (spawned while shutting down)
  }
  if (survivors().length > 0) {
    track();
    killQuietly(-pgid, 'SIGKILL');
    for (const p of survivors()) killQuietly(p.pid, 'SIGKILL');
    const killDeadline = Date.now() + 3000;
    while (Date.now() < killDeadline && survivors().length > 0) await sleep(100);
  }
  // Final check straight from /proc: nobody may be left in the group, nor from the tree.
  for (const p of allProcs()) if (p.pgid === pgid && p.state !== 'Z') tracked.set(p.pid, p);
  return survivors();
}

// ---------------------------------------------------------------------------------------------------------
// Emergency cleanup: if the harness itself is interrupted, no server may outlive it, nor its temp folder.

const liveGroups = new Set<number>();
const liveTempDirs = new Set<string>();
let exitHooksInstalled = false;

function killAllAndClean(): void {
  for (const pgid of liveGroups) killQuietly(-pgid, 'SIGKILL');
  for (const dir of liveTempDirs) fs.rmSync(dir, { recursive: true, force: true });
}

function installExitHooks(exitOnSignal: boolean): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', killAllAndClean);
  // A caller with its own orderly shutdown (the sandbox) handles signals itself; the exit hook still applies.
  if (!exitOnSignal) return;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAllAndClean();
      process.exit(128 + (os.constants.signals[signal] ?? 1));
    });
  }
}

// ---------------------------------------------------------------------------------------------------------

/** Whether a loopback port can be bound right now. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host: '127.0.0.1', port }, () => srv.close(() => resolve(true)));
  });
}

/** A free loopback port: bind port 0, read it, release it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

function httpStatus(url: string, timeoutMs = 2000): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

function readJsonObject(file: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function writeUserSettings(userDataDir: string, settings: Record<string, unknown>): void {
  const file = path.join(userDataDir, 'User', 'settings.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ ...readJsonObject(file), ...settings }, null, 2));
}

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

export async function startCodeServer(options: StartCodeServerOptions): Promise<CodeServer> {
  const entry = codeServerEntry();
  if (!fs.existsSync(entry)) {
    throw new BenchError('install', `code-server is not installed at ${entry}; run: bash scripts/vscode/install-code-server.sh`);
  }
  if (!fs.existsSync(options.workspaceFolder)) {
    throw new BenchError('server start', `workspace folder does not exist: ${options.workspaceFolder}`);
  }
  installExitHooks(options.exitOnSignal ?? true);

  // Everything the server writes lives in one temp folder (unless given), so runs never share state.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'eks-code-server-'));
  liveTempDirs.add(tmp);
  const removeTmp = () => {
    // Given folders live outside tmp and are kept; tmp only holds what we created.
    fs.rmSync(tmp, { recursive: true, force: true });
    liveTempDirs.delete(tmp);
  };
  const userDataDir = options.userDataDir ?? path.join(tmp, 'user-data');
  const extensionsDir = options.extensionsDir ?? path.join(tmp, 'extensions');
  const logFile = options.logFile ?? path.join(TEST_RESULTS_DIR, 'logs', `code-server-${timestamp()}-${process.pid}.log`);
  for (const dir of [userDataDir, extensionsDir, path.dirname(logFile), ...['xdg-data', 'xdg-config', 'xdg-cache', 'xdg-run', 'tmp'].map((d) => path.join(tmp, d))]) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  writeUserSettings(userDataDir, { ...DEFAULT_SETTINGS, ...options.settings });
  // An explicit config file keeps code-server from creating ~/.config/code-server/config.yaml with a password.
  const configFile = path.join(tmp, 'config.yaml');
  fs.writeFileSync(configFile, 'auth: none\ncert: false\n');

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // code-server's own state (coder-logs, ...) goes to the temp folder, not $HOME/.local/share; VS Code's device
    // id (~/.cache/Microsoft), its IPC sockets (vscode-ipc-*.sock, vscode-git-*.sock) and the temp files of its
    // extension hosts (vscode-typescript<uid>/) too: a stopped server leaves them behind otherwise.
    XDG_DATA_HOME: path.join(tmp, 'xdg-data'),
    XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'),
    XDG_CACHE_HOME: path.join(tmp, 'xdg-cache'),
    XDG_RUNTIME_DIR: path.join(tmp, 'xdg-run'),
    TMPDIR: path.join(tmp, 'tmp'),
    // The extension gallery (open-vsx) is unreachable here; point it at a closed loopback port instead.
    EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: 'http://127.0.0.1:9/vscode/gallery', itemUrl: 'http://127.0.0.1:9/vscode/item' }),
    ...options.env,
  };
  // A parent code-server would make ours a child of it (wrapper IPC); never inherit that.
  delete env.CODE_SERVER_PARENT_PID;
  delete env.VSCODE_IPC_HOOK_CLI;

  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  let lastError: BenchError | undefined;
  try {
    for (let attempt = 1; attempt <= 3; attempt++) {
      let port: number;
      try {
        port = attempt === 1 && options.port && (await portIsFree(options.port)) ? options.port : await freePort();
      } catch (err) {
        throw new BenchError('port', `could not find a free loopback port: ${String(err)}`, logFile);
      }
      const logStart = fs.existsSync(logFile) ? fs.statSync(logFile).size : 0;
      const fd = fs.openSync(logFile, 'a');
      fs.writeSync(fd, `\n=== ${new Date().toISOString()} starting code-server ${CODE_SERVER_VERSION} on 127.0.0.1:${port} (attempt ${attempt})\n`);
      const args = [
        entry,
        '--config', configFile,
        '--auth', 'none',
        '--bind-addr', `127.0.0.1:${port}`,
        '--disable-telemetry',
        '--disable-update-check',
        '--disable-workspace-trust',
        '--disable-getting-started-override',
        '--ignore-last-opened',
        '--user-data-dir', userDataDir,
        '--extensions-dir', extensionsDir,
        '--session-socket', path.join(tmp, 'ipc.sock'),
        options.workspaceFolder,
      ];
      // detached: its own process group (pgid = pid), so stop() can kill the server with all its helpers.
      const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', fd, fd], env, cwd: options.workspaceFolder });
      fs.closeSync(fd);
      let exitInfo: string | undefined;
      child.once('exit', (code, signal) => {
        exitInfo = `code ${code}, signal ${signal}`;
      });
      child.once('error', (err) => {
        exitInfo = `spawn error ${err.message}`;
      });
      const pid = child.pid;
      if (pid === undefined) throw new BenchError('server start', 'could not spawn node', logFile);
      liveGroups.add(pid);
      const readLog = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
      const readThisLog = () => readLog().slice(logStart);

      const stopProcesses = async () => {
        const survivors = await killProcessGroupAndTree(pid);
        liveGroups.delete(pid);
        if (survivors.length > 0) {
          throw new BenchError('stop', `processes survived: ${survivors.map((p) => `${p.pid} ${p.cmd.slice(0, 80)}`).join('; ')}`, logFile);
        }
      };
      const stop = async () => {
        try {
          await stopProcesses();
        } finally {
          removeTmp();
        }
      };

      // Ready = our process says it listens on our port AND that port answers HTTP (not someone else's server).
      const url = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + startTimeoutMs;
      let ready = false;
      while (Date.now() < deadline) {
        if (exitInfo) break;
        if (readThisLog().includes(`listening on ${url}`) && (await httpStatus(`${url}/healthz`)) === 200) {
          ready = true;
          break;
        }
        await sleep(150);
      }
      if (ready) {
        return {
          url,
          port,
          pid,
          logFile,
          userDataDir,
          extensionsDir,
          workspaceFolder: options.workspaceFolder,
          readLog,
          updateSettings: (settings) => writeUserSettings(userDataDir, settings),
          stop,
        };
      }
      const log = readThisLog();
      // The next attempt reuses the folders in tmp (settings, config file): keep them until the last one.
      await stopProcesses().catch(() => undefined);
      if (/EADDRINUSE/.test(log)) {
        // Someone took the port between our probe and the server's bind: try another one.
        lastError = new BenchError('port', `port ${port} was taken (EADDRINUSE) on attempt ${attempt}`, logFile);
        continue;
      }
      throw new BenchError(
        'server start',
        exitInfo ? `code-server exited during start-up (${exitInfo})` : `code-server did not answer HTTP on ${url} within ${startTimeoutMs} ms`,
        logFile,
      );
    }
    throw lastError ?? new BenchError('port', 'no usable port', logFile);
  } catch (err) {
    removeTmp(); // nothing started: nothing of this run is kept
    throw err;
  }
}

// CLI for the kube-cluster sandbox.
//   tsx scripts/kube/main.ts start [--dir <d>] [--seed sample|large|none|<file>] [--port <n>] [--detach]
//   tsx scripts/kube/main.ts stop  [--dir <d>]
// `start` builds the binaries first when they are missing or older than their sources (or kwok's module source is
// missing), starts the cluster, prints the kubeconfig path and "ready", then stays in the foreground until Ctrl-C
// (which stops it); with --detach it returns and leaves the cluster running, to be ended by `stop`. The default
// folder is .sandbox/kube.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_BIN_DIR, REPO_ROOT, findKwokModuleDir, startKubeCluster, stopKubeCluster, type RunningKubeCluster } from './cluster';

const USAGE = `usage:
  npm run kube:start -- [--dir <folder>] [--seed sample|large|none|<seed file>] [--port <n>] [--detach]
  npm run kube:stop  -- [--dir <folder>]
The folder defaults to .sandbox/kube.`;

interface Args { command: string; dir: string; seed?: string; port?: number; detach: boolean }

function parseArgs(argv: string[]): Args {
  const [command = '', ...rest] = argv;
  const args: Args = { command, dir: path.join(REPO_ROOT, '.sandbox/kube'), detach: false };
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    const value = () => {
      const v = rest[++i];
      if (v === undefined || v.startsWith('--')) fail(`${flag} needs a value`);
      return v;
    };
    if (flag === '--dir') args.dir = path.resolve(value());
    else if (flag === '--seed') args.seed = value();
    else if (flag === '--port') {
      const port = Number(value());
      if (!Number.isInteger(port) || port < 1 || port > 65535) fail('--port must be a number from 1 to 65535');
      args.port = port;
    } else if (flag === '--detach') args.detach = true;
    else if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else fail(`unknown option ${flag}`);
  }
  return args;
}

function fail(message: string): never {
  console.error(`kube-cluster: ${message}\n${USAGE}`);
  process.exit(2);
}

/**
 * Runs scripts/build-kube.sh when a binary is missing or older than the Go sources, or kwok's module source (its
 * stage files) is not in the Go module cache (the script checks again).
 */
function buildIfNeeded(): void {
  const binary = path.join(DEFAULT_BIN_DIR, 'kube-cluster');
  const sources = ['main.go', 'go.mod', 'go.sum'].map((f) => path.join(REPO_ROOT, 'tools/kube-cluster', f));
  const built = fs.existsSync(binary) ? fs.statSync(binary).mtimeMs : 0;
  const stale = sources.some((f) => fs.statSync(f).mtimeMs > built);
  if (!stale && fs.existsSync(path.join(DEFAULT_BIN_DIR, 'kwok')) && hasKwokSource()) return;
  console.log('kube-cluster: building the control plane first (scripts/build-kube.sh)');
  const result = spawnSync(path.join(REPO_ROOT, 'scripts/build-kube.sh'), { stdio: 'inherit' });
  if (result.status !== 0) fail('the build failed; see the messages above');
}

function hasKwokSource(): boolean {
  try {
    findKwokModuleDir();
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const log = (line: string) => console.log(`kube-cluster: ${line}`);
  if (args.command === 'stop') {
    await stopKubeCluster(args.dir, log);
    return;
  }
  if (args.command !== 'start') fail(args.command ? `unknown command ${args.command}` : 'missing command');

  buildIfNeeded();
  let cluster: RunningKubeCluster;
  try {
    cluster = await startKubeCluster({ dir: args.dir, seed: args.seed, port: args.port, log });
  } catch (err) {
    console.error(`kube-cluster: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
  console.log(`kubeconfig: ${cluster.kubeconfigPath}`);
  console.log(`  export KUBECONFIG=${cluster.kubeconfigPath}   # contexts: sandbox-admin (current), sandbox-viewer`);
  console.log('ready');
  if (args.detach) {
    cluster.detach();
    console.log(`running in the background; stop it with: npm run kube:stop -- --dir ${cluster.dir}`);
    return;
  }
  console.log('press Ctrl-C to stop');
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    cluster.stop().then(() => process.exit(0), (err: unknown) => {
      console.error(`kube-cluster: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('SIGHUP', stop);
}

void main();

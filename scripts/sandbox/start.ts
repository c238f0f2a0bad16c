// `npm start`: the sandbox. Builds what is missing, then starts the AWS emulator (seeded with a realistic account),
// a real Kubernetes control plane with sample workloads, and VS Code (code-server) with this extension installed
// and a `sandbox` AWS profile selected. Prints the URL to open; Ctrl-C stops everything it started and removes
// its temporary folders (the emulator's seed goes as soon as the emulator has read it).
// Options: --no-kube (skip the Kubernetes cluster), --port <n> (preferred code-server port), --dir <folder> (the
// sandbox's own state: AWS files, workspace, VS Code user data, cluster; default .sandbox).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnEmulator, type EmulatorProcess } from '../../test/support/emulatorProcess';
import { startCodeServer, type CodeServer } from '../../test/vscode/harness/codeServer';
import { startKubeCluster, type RunningKubeCluster } from '../kube/cluster';
import { SimulatedConnectorAgent } from '../../test/support/simulatedAgent';
import { sandboxSeed, SANDBOX_ACCESS_KEY, SANDBOX_REGIONS, SANDBOX_SECRET_KEY, DENIED_REGION } from './seed';

const root = path.resolve(__dirname, '..', '..');
const optionValue = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const sandboxDir = path.resolve(optionValue('--dir') ?? path.join(root, '.sandbox'));
const stateFile = path.join(sandboxDir, 'sandbox.json');
const withKube = !process.argv.includes('--no-kube');

interface SandboxState {
  readonly pid: number;
  readonly url: string;
  readonly startedAt: string;
}

function step(text: string): void {
  console.log(`sandbox ▸ ${text}`);
}

function fail(what: string, detail: string, fix: string): never {
  console.error(`sandbox: ${what} failed: ${detail}\n  fix: ${fix}`);
  process.exit(1);
}

function run(what: string, command: string, args: string[], fix: string): void {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) fail(what, `\`${command} ${args.join(' ')}\` exited with ${result.status ?? result.signal}`, fix);
}

/** A sandbox already running answers on its URL: report it instead of starting a second one over it. */
async function runningSandbox(): Promise<SandboxState | undefined> {
  if (!existsSync(stateFile)) return undefined;
  try {
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as SandboxState;
    process.kill(state.pid, 0);
    const response = await fetch(state.url, { signal: AbortSignal.timeout(3000) });
    return response.ok || response.status < 500 ? state : undefined;
  } catch {
    return undefined;
  }
}

function writeAwsFiles(emulatorUrl: string): { configFile: string; credentialsFile: string } {
  const awsDir = path.join(sandboxDir, 'aws');
  mkdirSync(awsDir, { recursive: true });
  const configFile = path.join(awsDir, 'config');
  const credentialsFile = path.join(awsDir, 'credentials');
  writeFileSync(configFile, [
    '# The sandbox account lives in the local AWS emulator; endpoint_url points every AWS client at it.',
    '[profile sandbox]',
    'region = us-west-2',
    `endpoint_url = ${emulatorUrl}`,
    '',
  ].join('\n'));
  writeFileSync(credentialsFile, `[sandbox]\naws_access_key_id = ${SANDBOX_ACCESS_KEY}\naws_secret_access_key = ${SANDBOX_SECRET_KEY}\n`, { mode: 0o600 });
  return { configFile, credentialsFile };
}

function writeWorkspace(kube: RunningKubeCluster | undefined): string {
  const workspace = path.join(sandboxDir, 'workspace');
  mkdirSync(workspace, { recursive: true });
  writeFileSync(path.join(workspace, 'README.md'), [
    '# EKS Connector sandbox',
    '',
    'Open the **EKS Connector** view in the activity bar. Everything here is local:',
    '',
    `- AWS: a local emulator with account 123456789012 in ${SANDBOX_REGIONS.join(', ')}; the profile \`sandbox\` points at it.`,
    `  In ${DENIED_REGION} the sandbox identity may not list clusters, so that region shows an access-denied node.`,
    kube ? `- Kubernetes: a real kube-apiserver with sample workloads; \`KUBECONFIG=${kube.kubeconfigPath}\` (contexts \`sandbox-admin\`, \`sandbox-viewer\`).` : '- Kubernetes: not started (--no-kube).',
    kube ? '  This cluster is not connected yet: register it with EKS from the EKS Connector view. A simulated connector agent' : '',
    kube ? '  plays the part of the real one, so the registration becomes ACTIVE.' : '',
    '',
    'New to the extension? **Get Started with EKS Connector** in the Clusters view\'s `…` menu walks through it.',
    '',
    'Stop the sandbox with Ctrl-C in the terminal that ran `npm start`.',
    '',
  ].join('\n'));
  return workspace;
}

/** Installs the extension by linking the repository into the extensions folder: a rebuild shows after a reload. */
function linkExtension(extensionsDir: string): void {
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };
  mkdirSync(extensionsDir, { recursive: true });
  const link = path.join(extensionsDir, `${manifest.publisher}.${manifest.name}-${manifest.version}`);
  rmSync(link, { force: true, recursive: false });
  symlinkSync(root, link);
}

async function main(): Promise<void> {
  const running = await runningSandbox();
  if (running) {
    console.log(`A sandbox is already running (pid ${running.pid}, started ${running.startedAt}).\nOpen ${running.url}\nStop it with Ctrl-C in its terminal, or \`kill ${running.pid}\`.`);
    return;
  }
  rmSync(stateFile, { force: true });
  mkdirSync(sandboxDir, { recursive: true });

  step('building the extension');
  run('the extension build', process.execPath, ['scripts/build.mjs'], 'run `npm run build` to see the errors');
  step('installing code-server (first time only)');
  run('the code-server install', 'bash', ['scripts/vscode/install-code-server.sh'], 'see the install log named above, then run `npm start` again');
  if (withKube) {
    step('building the Kubernetes control plane (first time only: about 10 minutes)');
    run('the Kubernetes build', 'bash', ['scripts/build-kube.sh'], 'see .cache/kube/build.log; or start without Kubernetes: `npm start -- --no-kube`');
  }

  let emulator: EmulatorProcess | undefined;
  let kube: RunningKubeCluster | undefined;
  let server: CodeServer | undefined;
  let agent: SimulatedConnectorAgent | undefined;
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    step('stopping');
    agent?.stop();
    await server?.stop().catch((e: unknown) => console.error(`code-server: ${String(e)}`));
    await kube?.stop().catch((e: unknown) => console.error(`kube: ${String(e)}`));
    await emulator?.stop().catch((e: unknown) => console.error(`emulator: ${String(e)}`));
    rmSync(stateFile, { force: true });
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stopAll(0));

  try {
    step('starting the AWS emulator');
    emulator = await spawnEmulator({ seed: sandboxSeed() });
    const { configFile, credentialsFile } = writeAwsFiles(emulator.url);

    if (withKube) {
      step('starting Kubernetes (kube-apiserver, controller-manager, scheduler, kwok) with sample workloads');
      kube = await startKubeCluster({ dir: path.join(sandboxDir, 'kube'), seed: 'sample', log: (line) => console.log(`  ${line}`) });
      // Stands in for the connector agent once the extension applies the connector to this cluster.
      agent = new SimulatedConnectorAgent(kube.kubeConfig('sandbox-admin'), emulator.url, (line) => console.log(`  ${line}`));
      agent.start();
    }

    step('starting VS Code (code-server)');
    const extensionsDir = path.join(sandboxDir, 'code-server', 'extensions');
    linkExtension(extensionsDir);
    const preferredPort = Number(optionValue('--port')) || undefined;
    server = await startCodeServer({
      workspaceFolder: writeWorkspace(kube),
      userDataDir: path.join(sandboxDir, 'code-server', 'user-data'),
      extensionsDir,
      logFile: path.join(sandboxDir, 'code-server.log'),
      port: preferredPort,
      exitOnSignal: false,
      env: {
        AWS_CONFIG_FILE: configFile,
        AWS_SHARED_CREDENTIALS_FILE: credentialsFile,
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        KUBECONFIG: kube?.kubeconfigPath ?? path.join(sandboxDir, 'no-kubeconfig'),
      },
      settings: {
        'eksConnector.profile': 'sandbox',
        'eksConnector.regions': SANDBOX_REGIONS,
        'workbench.colorTheme': 'Default Dark Modern',
        // The workspace README says what the sandbox holds: VS Code opens it when no editor is restored (first start).
        'workbench.startupEditor': 'readme',
      },
    });
    const url = `${server.url}/?folder=${encodeURIComponent(server.workspaceFolder)}`;
    writeFileSync(stateFile, JSON.stringify({ pid: process.pid, url, startedAt: new Date().toISOString() } satisfies SandboxState, null, 2));
    console.log([
      '',
      'The EKS Connector sandbox is running.',
      `  Open:        ${url}`,
      `  AWS:         emulator ${emulator.url} (profile "sandbox", regions ${SANDBOX_REGIONS.join(', ')})`,
      kube ? `  Kubernetes:  ${kube.server} (KUBECONFIG=${kube.kubeconfigPath})` : '  Kubernetes:  not started',
      `  Logs:        ${server.logFile}`,
      'Press Ctrl-C to stop everything.',
      '',
    ].join('\n'));
  } catch (error) {
    console.error(`sandbox: start-up failed: ${error instanceof Error ? error.message : String(error)}`);
    await stopAll(1);
  }
}

void main();

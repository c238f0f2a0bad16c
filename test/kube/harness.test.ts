// The harness's failure paths and process hygiene: missing binaries, folders it must not touch, a cluster already
// running, a crashed run's leftovers, a taken port, a component that dies during start-up, and stop (library and
// CLI) leaving no process behind, checked in /proc.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import {
  DEFAULT_BIN_DIR, KWOK_STAGE_FILES, KubeClusterError, REPO_ROOT, findKwokModuleDir, processGroupMembers, startKubeCluster,
  stopKubeCluster,
} from '../../scripts/kube/cluster';
import { sharedCluster } from './shared';

/** Live processes whose command line mentions `dir` (every component's does), read from /proc. */
function processesMentioning(dir: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) found.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

describe('kube-cluster: harness failure paths', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  const tempDir = (prefix: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `kube-${prefix}-`));
    dirs.push(dir);
    return dir;
  };
  after(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('says how to build when a binary is missing', async function () {
    const err = await startKubeCluster({ dir: tempDir('nobin'), binDir: tempDir('emptybin'), log: () => undefined }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof KubeClusterError);
    assert.match(err.message, /kube-cluster is missing\. Build it with `npm run kube:build` \(scripts\/build-kube\.sh/);
  });

  it('says how to get kwok\'s stage files when its module source is missing', async function () {
    const dir = tempDir('nostages');
    const err = await startKubeCluster({ dir, kwokModuleDir: tempDir('emptymod'), log: () => undefined }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof KubeClusterError);
    assert.match(err.message, /cannot read the kwok stage file .*node-initialize\.yaml.*Run `npm run kube:build` \(scripts\/build-kube\.sh downloads the sigs\.k8s\.io\/kwok@v0\.8\.0 module source/s);
    assert.deepEqual(fs.readdirSync(dir), [], 'nothing was started or written');
  });

  it('plays kwok\'s own stages unchanged from its module source, after none of them was copied here', async function () {
    this.timeout(180_000);
    const shared = await sharedCluster();
    const config = fs.readFileSync(path.join(shared.dir, 'config', 'kwok.yaml'), 'utf8');
    const source = findKwokModuleDir();
    assert.match(source, /sigs\.k8s\.io\/kwok@v0\.8\.0$/);
    const names = (text: string) => [...text.matchAll(/^kind: Stage\nmetadata:\n {2}name: (\S+)$/gm)].map((m) => m[1]);
    const theirs = KWOK_STAGE_FILES.map((file) => fs.readFileSync(path.join(source, file), 'utf8').trim());
    for (const text of theirs) assert.ok(config.includes(text), `${names(text)[0]} is played as kwok wrote it`);
    const ours = fs.readdirSync(path.join(REPO_ROOT, 'scripts/kube/stages')).map((f) => fs.readFileSync(path.join(REPO_ROOT, 'scripts/kube/stages', f), 'utf8'));
    const theirNames = theirs.flatMap(names);
    assert.deepEqual(theirNames, ['node-initialize', 'node-heartbeat-with-lease', 'pod-ready', 'pod-complete', 'pod-delete']);
    for (const text of ours) {
      assert.ok(!theirNames.includes(names(text)[0]), `${names(text)[0]} does not replace one of kwok's stages`);
      assert.match(text, /^ {2}weight: 1$/m, `${names(text)[0]} outranks kwok's stages`);
    }
  });

  it('refuses a non-empty folder it did not make', async function () {
    const dir = tempDir('foreign');
    fs.writeFileSync(path.join(dir, 'precious.txt'), 'keep me');
    await assert.rejects(startKubeCluster({ dir, log: () => undefined }), /is not empty and was not made by kube-cluster/);
    assert.equal(fs.readFileSync(path.join(dir, 'precious.txt'), 'utf8'), 'keep me');
  });

  it('refuses a folder whose cluster is still running, and leaves that cluster alone', async function () {
    this.timeout(180_000);
    const shared = await sharedCluster();
    await assert.rejects(startKubeCluster({ dir: shared.dir, log: () => undefined }), /a cluster is already running in .*npm run kube:stop -- --dir/s);
    const nodes = await shared.kubeConfig().makeApiClient(k8s.CoreV1Api).listNode();
    assert.ok(nodes.items.length >= 4);
  });

  it('cleans a crashed run\'s folder, avoids a taken port, and stops without leaving a process', async function () {
    const dir = tempDir('stale');
    // What a run killed with SIGKILL leaves: the marker, pid files of dead processes and etcd data.
    const dead = spawnSync('true').pid;
    fs.writeFileSync(path.join(dir, '.kube-cluster'), '');
    fs.mkdirSync(path.join(dir, 'run'));
    fs.writeFileSync(path.join(dir, 'run', 'apiserver.pid'), `${dead}\n`);
    fs.mkdirSync(path.join(dir, 'etcd', 'member'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'etcd', 'member', 'junk'), 'not etcd data');

    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as net.AddressInfo).port;
    const lines: string[] = [];
    try {
      const cluster = await startKubeCluster({ dir, seed: 'none', port: taken, log: (line) => lines.push(line) });
      assert.notEqual(new URL(cluster.server).port, String(taken));
      assert.ok(lines.some((l) => l.includes(`port ${taken} is in use`)), lines.join('\n'));
      assert.ok(lines.some((l) => l.includes('was not stopped')), lines.join('\n'));
      assert.ok(!fs.existsSync(path.join(dir, 'etcd', 'member', 'junk')));
      const nodes = await cluster.kubeConfig().makeApiClient(k8s.CoreV1Api).listNode();
      assert.deepEqual(nodes.items.map((n) => n.metadata?.name).sort(), ['sandbox-amd64-1', 'sandbox-amd64-2', 'sandbox-amd64-3']);

      const pids = Object.values(cluster.components).map((c) => c.pid);
      assert.equal(processGroupMembers(pids).length, 4);
      await cluster.stop();
      assert.deepEqual(processGroupMembers(pids), []);
      assert.deepEqual(processesMentioning(dir), []);
      assert.equal(await stopKubeCluster(dir), 0, 'nothing left for kube:stop');
    } finally {
      blocker.close();
    }
  });

  it('reports a component that exits during start-up, with its log, and kills the others', async function () {
    const dir = tempDir('early');
    const binDir = tempDir('bin');
    fs.symlinkSync(path.join(DEFAULT_BIN_DIR, 'kube-cluster'), path.join(binDir, 'kube-cluster'));
    fs.writeFileSync(path.join(binDir, 'kwok'), '#!/bin/sh\necho "kwok: cannot reach the simulated kubelet socket" >&2\nexit 3\n', { mode: 0o755 });

    const err = await startKubeCluster({ dir, binDir, seed: 'none', log: () => undefined }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof KubeClusterError, String(err));
    assert.equal(err.component, 'kwok');
    assert.equal(err.logPath, path.join(dir, 'logs', 'kwok.log'));
    assert.match(err.message, /kwok exited early \(exit code 3\)\. Last lines of .*kwok\.log:\n.*cannot reach the simulated kubelet socket/s);
    assert.deepEqual(processesMentioning(dir), [], 'apiserver, controller-manager and scheduler were killed');
    assert.ok(!fs.existsSync(path.join(dir, 'run')), 'no pid files left');
  });

  it('kube:start --detach leaves the cluster running for kube:stop to end', async function () {
    const dir = tempDir('cli');
    const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'scripts/kube/main.ts'), ...args],
      { cwd: REPO_ROOT, encoding: 'utf8', timeout: 100_000 });
    try {
      const started = cli('start', '--dir', dir, '--seed', 'none', '--detach');
      assert.equal(started.status, 0, started.stderr + started.stdout);
      assert.match(started.stdout, new RegExp(`^kubeconfig: ${dir}/kubeconfig$`, 'm'));
      assert.match(started.stdout, /^ready$/m);
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(path.join(dir, 'kubeconfig'));
      assert.equal((await kc.makeApiClient(k8s.CoreV1Api).listNode()).items.length, 3);
      assert.equal(processesMentioning(dir).length, 4, 'the cluster outlives the CLI');

      const stopped = cli('stop', '--dir', dir);
      assert.equal(stopped.status, 0, stopped.stderr);
      assert.match(stopped.stdout, /stopped apiserver \(pid \d+\), controller-manager .* kwok .* scheduler/);
      assert.deepEqual(processesMentioning(dir), []);
    } finally {
      await stopKubeCluster(dir); // a failed assertion must not leave the detached cluster running
    }
  });
});

// Runs inside the extension host as `extensionTestsPath` for bench/activation.ts (bundled on the fly with
// esbuild, `vscode` external). One run per extension-host start: the bench writes the run's plan (host kind and
// activation order) beside EKS_BENCH_RESULTS; the probe activates the extensions one after the other in that
// order, then reads VS Code's own activation times and appends one JSON line to EKS_BENCH_RESULTS.
//
// Source of the times: the workbench's "Startup Performance" document (command `perfview.show`, VS Code 1.100),
// table "Extension Activation Stats". It is rendered from IExtensionService.getExtensionsStatus(), the same
// data as "Developer: Show Running Extensions", with all three parts the extension host measured:
// Load Code (require of the main module), Call Activate (activate() until it returns) and Finish Activate
// (until its promise settles). The document is a text model in the workbench, so the extension host can read
// it with openTextDocument(perf:Startup Performance) once the command has registered its content provider.
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { planFile, type HostMode, type RunPlan } from './activationPlan';

export interface PerfActivation {
  eager: boolean;
  loadCodeMs: number;
  callActivateMs: number;
  finishActivateMs: number;
  event: string;
}

export interface ProbeRecord {
  iteration: number;
  order: string[];
  /** Wall time of `await extension.activate()` measured here (includes the IPC to the workbench). */
  wallMs: Record<string, number>;
  /**
   * How long the extension host's thread waited for a CPU (runnable but not running) while each extension
   * activated, from /proc/thread-self/schedstat; absent where the kernel does not report it. Above zero means
   * another process took the CPU mid-activation and VS Code's times for that extension include the wait.
   */
  cpuWaitMs: Record<string, number>;
  host: HostMode;
  perf: Record<string, PerfActivation>;
  error?: string;
}

/** Nanoseconds this thread has spent runnable but waiting for a CPU (second field of schedstat). */
function runQueueWaitNs(): number | undefined {
  try {
    const waited = Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1]);
    return Number.isFinite(waited) ? waited : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Rows of the "Extension Activation Stats" markdown table: | id | eager | load | call | finish | event | by |. */
export function parseActivationStats(text: string): Record<string, PerfActivation> {
  const out: Record<string, PerfActivation> = {};
  const start = text.indexOf('Extension Activation Stats');
  if (start < 0) return out;
  for (const line of text.slice(start).split('\n').slice(1)) {
    if (line.startsWith('#')) break; // next section
    if (!line.startsWith('|')) continue;
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    if (cells.length < 6 || cells[0] === 'Extension' || /^-+$/.test(cells[0])) continue;
    const [id, eager, load, call, finish, event] = cells;
    out[id.toLowerCase()] = {
      eager: eager === 'true',
      loadCodeMs: Number(load),
      callActivateMs: Number(call),
      finishActivateMs: Number(finish),
      event,
    };
  }
  return out;
}

export async function run(): Promise<void> {
  const resultsFile = process.env.EKS_BENCH_RESULTS;
  if (!resultsFile) throw new Error('EKS_BENCH_RESULTS must be set');
  const iteration = fs.existsSync(resultsFile) ? fs.readFileSync(resultsFile, 'utf8').split('\n').filter(Boolean).length : 0;
  const record: ProbeRecord = { iteration, order: [], wallMs: {}, cpuWaitMs: {}, perf: {}, host: 'cold' };
  try {
    const plan = JSON.parse(fs.readFileSync(planFile(resultsFile, iteration), 'utf8')) as RunPlan;
    const { order } = plan;
    record.order = order;
    record.host = plan.host;
    // Let the start-up work of the workbench and built-in extensions settle before measuring.
    await sleep(Number(process.env.EKS_BENCH_SETTLE_MS ?? 2000));
    if (plan.host === 'warm') {
      // The probe extension contributes this view (bench/activation.ts writes its package.json).
      const viewId = process.env.EKS_BENCH_WARMUP_VIEW ?? 'eksBenchProbe.warmup';
      const warmup = vscode.window.createTreeView(viewId, { treeDataProvider: { getChildren: () => [], getTreeItem: (e: vscode.TreeItem) => e } });
      const command = vscode.commands.registerCommand(viewId, () => undefined);
      await sleep(500);
      warmup.dispose();
      command.dispose();
    }
    // VS Code times the activation parts with Date.now(), in whole milliseconds, which is coarser than the
    // differences we compare. While the extensions activate, Date.now reads the same clock with sub-millisecond
    // resolution, so the table below carries fractional times measured by VS Code's own code at the same points.
    const wholeMsNow = Date.now;
    if (process.env.EKS_BENCH_FINE_CLOCK !== '0') Date.now = () => performance.timeOrigin + performance.now();
    try {
      for (const id of order) {
        const ext = vscode.extensions.getExtension(id);
        if (!ext) throw new Error(`extension ${id} is not loaded`);
        const wait0 = runQueueWaitNs();
        const t0 = performance.now();
        await ext.activate();
        record.wallMs[id] = Math.round((performance.now() - t0) * 10) / 10;
        const wait1 = runQueueWaitNs();
        if (wait0 !== undefined && wait1 !== undefined) record.cpuWaitMs[id] = (wait1 - wait0) / 1e6;
      }
    } finally {
      Date.now = wholeMsNow;
    }
    await vscode.commands.executeCommand('perfview.show');
    const uri = vscode.Uri.from({ scheme: 'perf', path: 'Startup Performance' });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const doc = await vscode.workspace.openTextDocument(uri);
      const stats = parseActivationStats(doc.getText());
      if (order.every((id) => stats[id.toLowerCase()])) {
        for (const id of order) record.perf[id] = stats[id.toLowerCase()];
        break;
      }
      await sleep(250);
    }
    if (Object.keys(record.perf).length === 0) throw new Error('no activation stats in the Startup Performance document');
  } catch (err) {
    record.error = err instanceof Error ? err.message : String(err);
  }
  fs.appendFileSync(resultsFile, `${JSON.stringify(record)}\n`);
  // Keep the host alive until the bench has looked at it (e.g. Show Running Extensions) and releases it.
  const release = `${resultsFile}.release-${iteration}`;
  const releaseDeadline = Date.now() + 120_000;
  while (!fs.existsSync(release) && Date.now() < releaseDeadline) await sleep(100);
}

// Activation shell. Activation only declares the view and the commands; the features bundle (dist/features.js)
// and the AWS SDK (dist/core.js) load when the view is first shown or a command first runs, so activating costs
// about what a hello-world extension costs.
// A plain require: `import * as` would have the bundler copy every property of the API object (about 0.5 ms, a
// third of what activating costs).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
import vscode = require('vscode');
import type { Features } from './features';
import type { ClusterTreeProvider } from './explorer/clusterTreeProvider';
import type { Logger } from './shared/logger';

/** What activate() returns. The integration tests use it to read the tree the way the view does. */
export interface ExtensionApi {
  readonly clusterTree: ClusterTreeProvider;
  readonly logger: Logger;
}

/** Forwards to the real tree provider, created on the view's first request. */
class DeferredTreeProvider<T> implements vscode.TreeDataProvider<T> {
  private readonly emitter = new vscode.EventEmitter<T | T[] | undefined | void>();
  readonly onDidChangeTreeData = this.emitter.event;
  private target?: vscode.TreeDataProvider<T>;

  constructor(private readonly resolve: () => vscode.TreeDataProvider<T>) {}

  private get real(): vscode.TreeDataProvider<T> {
    if (!this.target) {
      this.target = this.resolve();
      this.target.onDidChangeTreeData?.((e) => this.emitter.fire(e ?? undefined));
    }
    return this.target;
  }

  getTreeItem(element: T) { return this.real.getTreeItem(element); }
  getChildren(element?: T) { return this.real.getChildren(element); }
  getParent(element: T) { return this.real.getParent?.(element); }
}

export function activate(context: vscode.ExtensionContext): ExtensionApi {
  let features: Features | undefined;
  const load = (): Features => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the deferred load is the point
    features ??= (require('./features.js') as typeof import('./features')).createFeatures(context, view);
    return features;
  };
  const view = vscode.window.createTreeView('eksConnector.clusters', {
    treeDataProvider: new DeferredTreeProvider(() => load().clusterTree),
    showCollapseAll: true,
  });
  context.subscriptions.push(view);
  const contributed = (context.extension.packageJSON as { contributes?: { commands?: Array<{ command: string }> } }).contributes?.commands ?? [];
  for (const { command } of contributed) {
    context.subscriptions.push(vscode.commands.registerCommand(command, (...args: unknown[]) => load().run(command, args)));
  }
  return {
    get clusterTree() { return load().clusterTree; },
    get logger() { return load().logger; },
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}

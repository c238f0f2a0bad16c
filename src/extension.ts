// Activation shell. Activation only declares the view and the commands; the features bundle (dist/features.js)
// and the AWS SDK (dist/core.js) load when the view is first shown or a command first runs, so activating costs
// about what a hello-world extension costs (bench/activation.ts).
// Written so the bundle is plain CommonJS: `import … = require` and `export =` keep esbuild from adding its ES
// module interop helpers, and the tree provider is an object literal rather than a class; each of those showed
// up in the time VS Code measures for loading and activating.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
import vscode = require('vscode');
import type { Features } from './features';
import type { ExtensionApi } from './extensionApi';
import type { ExplorerNode } from './explorer/nodes';
import { activationCommands, WALKTHROUGH_ID } from './contributedCommands';

// Parenthesised so that V8 compiles activate() with the module instead of on its first call, which would parse its
// source a second time (esbuild keeps the parentheses): about 45 µs less of the time VS Code measures.
const activate = (function (context: vscode.ExtensionContext): ExtensionApi {
  let features: Features | undefined;
  const load = (): Features => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the deferred load is the point
    features ??= (require('./features.js') as typeof import('./features')).createFeatures(context, view);
    return features;
  };
  // Forwards to the real tree provider, created on the view's first request.
  const changed = new vscode.EventEmitter<ExplorerNode | ExplorerNode[] | undefined>();
  let forwarding = false;
  const tree = () => {
    const real = load().clusterTree;
    if (!forwarding) {
      forwarding = true;
      real.onDidChangeTreeData((e) => changed.fire(e));
    }
    return real;
  };
  const view = vscode.window.createTreeView<ExplorerNode>('eksConnector.clusters', {
    treeDataProvider: {
      onDidChangeTreeData: changed.event,
      getTreeItem: (element) => tree().getTreeItem(element),
      getChildren: (element) => tree().getChildren(element),
      getParent: (element) => tree().getParent(element),
    },
    showCollapseAll: true,
  });
  context.subscriptions.push(view);
  // Commands the palette, the view's title bar or its welcome buttons can reach are registered now; those only the
  // view's items reach register with the features bundle, which loads before any item exists (each registration
  // costs VS Code a message to the workbench).
  for (const command of activationCommands) {
    context.subscriptions.push(vscode.commands.registerCommand(command, (...args: unknown[]) => load().run(command, args)));
  }
  // The shell's own command (shellCommands): opening the walkthrough needs neither the features nor the AWS SDK.
  context.subscriptions.push(vscode.commands.registerCommand('eksConnector.getStarted', () =>
    vscode.commands.executeCommand('workbench.action.openWalkthrough', `${context.extension.id}#${WALKTHROUGH_ID}`, false)));
  return {
    get clusterTree() { return load().clusterTree; },
    get logger() { return load().logger; },
  };
});

function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}

export = { activate, deactivate };

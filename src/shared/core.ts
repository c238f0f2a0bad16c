// The vscode-free core (AWS SDK, Kubernetes client) ships as a separate bundle, dist/core.js, loaded on first use so
// that activation parses only the small extension bundle.
import type * as CoreModule from '../core/runtime';

export type Core = typeof CoreModule;

let loaded: Core | undefined;

export function loadCore(): Core {
  // Resolved at run time next to dist/extension.js; esbuild keeps it external.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a run-time load of the sibling bundle is the point
  loaded ??= require('./core.js') as Core;
  return loaded;
}

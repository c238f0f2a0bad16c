// Every in-host test module, imported statically so esbuild bundles them into out/test/vscode/index.js.
// Add new `*.test.ts` modules here.
import './activation.test';
import './explorer.test';
import './secretSettings.test';
import './clusterDescription.test';

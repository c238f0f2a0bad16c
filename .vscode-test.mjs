// @vscode/test-cli configuration (`npx vscode-test`): runs the same in-host suite as the code-server bench
// (scripts/vscode/run-vscode-tests.ts) under @vscode/test-electron, wherever a desktop VS Code can be downloaded.
// Build first: node scripts/build.mjs (produces dist/extension.js and out/test/vscode/index.js).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@vscode/test-cli';

// Everything the test VS Code writes stays in the git-ignored .vscode-test/: its user data and extensions, and a
// HOME of its own (desktop VS Code writes ~/.vscode/argv.json, Electron ~/.config and ~/.cache), never the user's.
const testDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '.vscode-test');
const home = path.join(testDir, 'home');
mkdirSync(home, { recursive: true });

export default defineConfig({
  label: 'integration',
  // The bundled entry registers the suite when test-cli's mocha loads it (it exports run() for code-server).
  files: 'out/test/vscode/index.js',
  extensionDevelopmentPath: '.',
  // engines.vscode is ^1.90.0: test the floor; set VSCODE_TEST_VERSION=stable to test the latest.
  version: process.env.VSCODE_TEST_VERSION ?? '1.90.0',
  // A fresh, empty window: no other installed extensions, no workspace.
  launchArgs: [
    '--disable-extensions',
    '--disable-workspace-trust',
    `--user-data-dir=${path.join(testDir, 'user-data')}`,
    `--extensions-dir=${path.join(testDir, 'extensions')}`,
  ],
  skipExtensionDependencies: true, // the extension has no extensionDependencies
  mocha: { ui: 'bdd', timeout: 60_000, color: true },
  env: {
    EKS_VSCODE_TEST_RESULTS: process.env.EKS_VSCODE_TEST_RESULTS,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
  },
});

// Bundles the extension with esbuild. Bundles:
//   dist/extension.js  the activation shell: declares the view and commands, nothing else
//   dist/features.js   every feature (VS Code side), loaded on first use
//   dist/core.js       vscode-free services (AWS SDK, Kubernetes client), loaded on first use
//   dist/webview/*.js  webview front-ends (browser)
//   dist/cli.js        the headless `eks-connector` CLI over the same core
//   out/test/vscode/   the integration-test entry that runs inside the extension host (not packaged)
// Flags: --production (minify, no source maps), --watch, --metafile (print sizes), --outdir <dir> (instead of
// dist/, for the activation bench's staged copy; the test entry is not built then).
// dist/package.json says the bundles are CommonJS: Node looks for the nearest package.json when it loads a module,
// and would otherwise read and parse the 15 KB extension manifest while VS Code times the extension's activation.
import * as esbuild from 'esbuild';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const showSizes = process.argv.includes('--metafile') || production;
const outdirArg = process.argv.indexOf('--outdir');
const outdir = outdirArg > 0 ? path.resolve(process.argv[outdirArg + 1]) : path.join(root, 'dist');
const staged = outdirArg > 0;

const common = {
  bundle: true,
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'warning',
  absWorkingDir: root,
  legalComments: 'none',
};

const node = { ...common, platform: 'node', format: 'cjs', target: 'node20', mainFields: ['module', 'main'] };

function existing(entries) {
  return entries.filter((e) => existsSync(path.join(root, e.in)));
}

const webviewEntries = existsSync(path.join(root, 'webview'))
  ? readdirSync(path.join(root, 'webview'))
      .filter((f) => /^[a-zA-Z]+\.main\.ts$/.test(f))
      .map((f) => ({ in: `webview/${f}`, out: `webview/${f.replace('.main.ts', '')}` }))
  : [];

const builds = [
  { ...node, entryPoints: existing([{ in: 'src/extension.ts', out: 'extension' }]), outdir, external: ['vscode', './features.js'] },
  { ...node, entryPoints: existing([{ in: 'src/features.ts', out: 'features' }]), outdir, external: ['vscode', './core.js'] },
  { ...node, entryPoints: existing([{ in: 'src/core/runtime.ts', out: 'core' }]), outdir, external: ['vscode'] },
  { ...node, entryPoints: existing([{ in: 'src/cli/main.ts', out: 'cli' }]), outdir, external: ['vscode'], banner: { js: '#!/usr/bin/env node' } },
  { ...common, platform: 'browser', format: 'iife', target: 'es2022', entryPoints: webviewEntries, outdir },
  // Test entry: never part of a production build. Mocha's optional parallel-mode files are not used in the host.
  ...(production || staged ? [] : [{
    ...node, minify: false, sourcemap: true, entryPoints: existing([{ in: 'test/vscode/suite/index.ts', out: 'index' }]),
    outdir: 'out/test/vscode', external: ['vscode'], logOverride: { 'require-resolve-not-external': 'silent' },
  }]),
].filter((b) => b.entryPoints.length > 0);

const started = Date.now();
mkdirSync(outdir, { recursive: true });
writeFileSync(path.join(outdir, 'package.json'), '{ "type": "commonjs" }\n');
if (watch) {
  for (const b of builds) {
    const ctx = await esbuild.context({
      ...b,
      plugins: [{ name: 'watch-log', setup(build) {
        build.onStart(() => console.log('[watch] build started'));
        build.onEnd((r) => console.log(`[watch] build finished (${r.errors.length} errors)`));
      } }],
    });
    await ctx.watch();
  }
} else {
  const results = await Promise.all(builds.map((b) => esbuild.build({ ...b, metafile: true })));
  if (showSizes) {
    for (const r of results) {
      for (const [file, info] of Object.entries(r.metafile.outputs)) {
        if (!file.endsWith('.map')) console.log(`${file.padEnd(36)} ${(info.bytes / 1024).toFixed(1).padStart(8)} KiB`);
      }
    }
  }
  if (!process.argv.includes('--quiet')) console.log(`build: ${builds.length} bundles in ${Date.now() - started} ms${production ? ' (production)' : ''}`);
}

// Idempotent setup run before `npm test` and `npm start`: installs npm packages when they are missing or older
// than package-lock.json. Uses only Node built-ins, because on a fresh clone nothing else is installed yet. npm's
// notice about unapproved install scripts becomes one line when it names only expected ones (npmInstall.mjs).
// Heavier steps (code-server, the Kubernetes build) live in their own scripts, which call this first.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { installedLine, runNpm } from './npmInstall.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const lock = path.join(root, 'package-lock.json');
const marker = path.join(root, 'node_modules', '.package-lock.json');

const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs;
if (stale) {
  console.log('setup: installing npm packages (npm ci)…');
  const { code, listed } = await runNpm(['ci', '--no-audit', '--no-fund'], { cwd: root });
  if (code !== 0) {
    console.error(`setup: \`npm ci\` failed (exit ${code}); nothing else was set up. Check that the npm registry is reachable and that package-lock.json matches package.json, then run \`npm test\` or \`npm start\` again.`);
    process.exit(1);
  }
  console.log(installedLine('npm ci', listed));
}

// Idempotent setup run before `npm test` and `npm start`: installs npm packages when they are missing or older
// than package-lock.json. Uses only Node built-ins, because on a fresh clone nothing else is installed yet.
// Heavier steps (code-server, the Kubernetes build) live in their own scripts, which call this first.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const lock = path.join(root, 'package-lock.json');
const marker = path.join(root, 'node_modules', '.package-lock.json');

const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs;
if (stale) {
  console.log('setup: installing npm packages (npm ci)…');
  try {
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  } catch {
    console.error('setup: `npm ci` failed. Check that the npm registry is reachable and that package-lock.json matches package.json, then run `npm test` again.');
    process.exit(1);
  }
}

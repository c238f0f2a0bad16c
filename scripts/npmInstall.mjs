// Runs npm for setup.mjs. Recent npm releases (11.x) end an install with a notice listing the dependencies whose
// install scripts no `allowScripts` entry covers (by default the scripts still run) and suggest `npm install-scripts
// approve <pkg>`, which reads like a task for the user. The two this project has are expected: esbuild's and
// @vscode/vsce-sign's put their platform binary in place. So a notice naming only expected packages is replaced by
// one line saying so; a notice naming any other package, and everything else npm prints, is shown as is.
// Node built-ins only: it runs on a fresh clone before anything is installed.
import { spawn } from 'node:child_process';

/** Dependencies whose install scripts are expected: npm's notice about them asks nothing of the user. */
export const EXPECTED_INSTALL_SCRIPTS = ['esbuild', '@vscode/vsce-sign'];

const NOTICE = /^npm warn install-scripts\b/;
const LISTED_PACKAGE = /^npm warn install-scripts\s+(@?[^@\s]+)@\S+ \(/;
// eslint-disable-next-line no-control-regex -- the escape sequences of a coloured npm
const ANSI = /\u001b\[[0-9;]*m/g;

/**
 * Splits npm's stderr: the install-scripts notice is dropped when every package it names is in `expected`, and
 * those packages are returned as `listed`; otherwise the text is returned unchanged.
 */
export function filterInstallScriptsNotice(stderr, expected = EXPECTED_INSTALL_SCRIPTS) {
  const lines = stderr.split('\n');
  const plain = lines.map((line) => line.replace(ANSI, ''));
  const packages = plain.map((line) => LISTED_PACKAGE.exec(line)?.[1]).filter(Boolean);
  if (packages.length === 0 || !packages.every((name) => expected.includes(name))) return { shown: stderr, listed: [] };
  return { shown: lines.filter((_, i) => !NOTICE.test(plain[i])).join('\n'), listed: [...new Set(packages)].sort() };
}

/**
 * Runs `npm <args>` in `cwd` with its output shown (stderr once npm ends, without a notice that asks nothing).
 * Resolves with npm's exit code and the expected packages that notice listed.
 */
export function runNpm(args, { cwd, expected = EXPECTED_INSTALL_SCRIPTS, stdout = process.stdout, stderr = process.stderr }) {
  return new Promise((resolve) => {
    const child = spawn('npm', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let errors = '';
    child.stdout.on('data', (chunk) => stdout.write(chunk));
    child.stderr.on('data', (chunk) => (errors += chunk.toString()));
    child.on('error', (error) => {
      stderr.write(`npm could not be started: ${error.message}\n`);
      resolve({ code: 1, listed: [] });
    });
    child.on('close', (code, signal) => {
      const { shown, listed } = filterInstallScriptsNotice(errors, expected);
      if (shown.trim() !== '') stderr.write(shown.endsWith('\n') ? shown : `${shown}\n`);
      resolve({ code: code ?? (signal ? 1 : 0), listed });
    });
  });
}

/** The line setup prints after a successful install. */
export function installedLine(command, listed) {
  const done = `setup: npm packages installed (${command}).`;
  if (listed.length === 0) return done;
  return `${done} The install scripts npm listed (${listed.join(', ')}) are expected: nothing to approve, nothing to do.`;
}

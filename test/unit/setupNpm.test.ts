// What `npm start` and `npm test` print while setup installs npm packages on a fresh clone: npm 11's notice about
// install scripts no `allowScripts` entry covers reads like a task, so when it names only the expected packages
// setup says in one line that nothing is needed; any other package's notice, and npm's errors, still reach the user.
// Real npm, on small projects whose dependencies (local folders) carry a postinstall script.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { installedLine, runNpm } from '../../scripts/npmInstall.mjs';

/** Collects what runNpm writes. */
function sink(): { text: string; write(chunk: string | Uint8Array): boolean } {
  return { text: '', write(chunk) { this.text += chunk.toString(); return true; } };
}

/** A project depending on local packages that each have a postinstall script. */
function project(base: string, name: string, deps: string[]): string {
  const dir = path.join(base, name);
  for (const dep of deps) {
    fs.mkdirSync(path.join(dir, 'deps', dep), { recursive: true });
    fs.writeFileSync(path.join(dir, 'deps', dep, 'package.json'), JSON.stringify({ name: dep, version: '1.0.0', scripts: { postinstall: 'node -e 0' } }));
  }
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, dependencies: Object.fromEntries(deps.map((d) => [d, `file:./deps/${d}`])) }));
  return dir;
}

const install = ['install', '--offline', '--no-audit', '--no-fund'];

describe('setup: installing npm packages', function () {
  this.timeout(120_000); // npm starts slowly on a busy machine
  let base: string;
  let noticed = false;

  before(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'eksc-setup-npm-'));
    // Only npm releases with install-script approval print the notice; with an older npm there is nothing to hide.
    const probe = spawnSync('npm', install, { cwd: project(base, 'probe', ['probe-dep']), encoding: 'utf8' });
    noticed = /install-scripts/.test(probe.stderr);
  });

  after(() => fs.rmSync(base, { recursive: true, force: true }));

  it('replaces a notice that names only expected packages with one line that asks nothing', async function () {
    if (!noticed) this.skip();
    const out = sink();
    const err = sink();
    const result = await runNpm(install, { cwd: project(base, 'expected', ['expected-a', 'expected-b']), expected: ['expected-a', 'expected-b'], stdout: out, stderr: err });
    assert.equal(result.code, 0);
    assert.deepEqual(result.listed, ['expected-a', 'expected-b']);
    assert.doesNotMatch(err.text, /install-scripts|approve/, 'no part of the notice is shown');
    assert.match(out.text, /added 2 packages/, "npm's own summary is shown");
    assert.equal(installedLine('npm ci', result.listed), 'setup: npm packages installed (npm ci). The install scripts npm listed (expected-a, expected-b) are expected: nothing to approve, nothing to do.');
  });

  it("shows npm's whole notice when it names a package that is not expected", async function () {
    if (!noticed) this.skip();
    const err = sink();
    const result = await runNpm(install, { cwd: project(base, 'other', ['expected-a', 'surprise']), expected: ['expected-a'], stdout: sink(), stderr: err });
    assert.equal(result.code, 0);
    assert.deepEqual(result.listed, []);
    assert.match(err.text, /npm warn install-scripts +surprise@1\.0\.0 \(postinstall/);
    assert.match(err.text, /npm warn install-scripts +expected-a@1\.0\.0/);
    assert.equal(installedLine('npm ci', result.listed), 'setup: npm packages installed (npm ci).');
  });

  it("shows npm's errors and its exit code", async () => {
    const err = sink();
    // npm ci without a package-lock.json fails.
    const result = await runNpm(['ci', '--offline', '--no-audit', '--no-fund'], { cwd: project(base, 'no-lock', ['expected-a']), expected: ['expected-a'], stdout: sink(), stderr: err });
    assert.notEqual(result.code, 0);
    assert.match(err.text, /npm error .*package-lock\.json/);
  });
});

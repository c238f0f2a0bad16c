// The Get Started walkthrough (contributes.walkthroughs): a step button whose command does not exist does nothing
// when clicked, a step whose completion event names nothing never ticks, and a media file missing from the .vsix
// leaves an empty pane. The packaged file list comes from vsce itself, which reads the .vscodeignore allow-list.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { shellCommands, WALKTHROUGH_ID } from '../../src/contributedCommands';

const root = path.join(__dirname, '..', '..');

type Media = { markdown: string } | { svg: string } | { image: string | Record<string, string> };
interface Step { id: string; title: string; description: string; media: Media; completionEvents?: string[] }
interface Manifest {
  contributes: {
    commands: Array<{ command: string; title: string }>;
    views: Record<string, Array<{ id: string }>>;
    menus: Record<string, Array<{ command: string; when?: string; group?: string }>>;
    configuration: { properties: Record<string, unknown> };
    walkthroughs: Array<{ id: string; title: string; steps: Step[] }>;
  };
}

const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest;
const contributed = new Set(manifest.contributes.commands.map((c) => c.command));
const walkthrough = manifest.contributes.walkthroughs.find((w) => w.id === WALKTHROUGH_ID);

/** The files of a step's media, relative to the repository. */
function mediaFiles(media: Media): string[] {
  if ('markdown' in media) return [media.markdown];
  if ('svg' in media) return [media.svg];
  return typeof media.image === 'string' ? [media.image] : Object.values(media.image);
}

/** The command ids of every `command:` link in a text (a link may carry arguments after `?`). */
function commandLinks(text: string): string[] {
  return [...text.matchAll(/\]\(command:([\w.-]+)/g)].map((m) => m[1]);
}

describe('Get Started walkthrough', () => {
  it('is the walkthrough the Get Started command opens, and the Clusters view\'s "…" menu offers that command', () => {
    assert.ok(walkthrough, `package.json contributes no walkthrough with id "${WALKTHROUGH_ID}" (the id eksConnector.getStarted opens)`);
    assert.equal(walkthrough.title, 'Get Started with EKS Connector');
    assert.ok(shellCommands.includes('eksConnector.getStarted'));
    const entry = manifest.contributes.menus['view/title'].find((m) => m.command === 'eksConnector.getStarted');
    assert.ok(entry, 'the Clusters view title menu has no Get Started entry');
    assert.equal(entry.when, 'view == eksConnector.clusters');
    assert.ok(entry.group && !entry.group.startsWith('navigation'), `the entry belongs in the "…" overflow, not the title bar: group ${entry.group}`);
  });

  it('gives every step a button, and every command link of a step or its media is a contributed command', () => {
    for (const step of walkthrough!.steps) {
      const buttons = step.description.split('\n').filter((line) => /^\[[^\]]+\]\(command:[^)]+\)$/.test(line.trim()));
      assert.ok(buttons.length > 0, `step "${step.title}" has no button: a line that is only a [Title](command:…) link`);
      const markdown = 'markdown' in step.media ? fs.readFileSync(path.join(root, step.media.markdown), 'utf8') : '';
      for (const command of [...commandLinks(step.description), ...commandLinks(markdown)]) {
        assert.ok(contributed.has(command), `step "${step.title}" links to ${command}, which package.json does not contribute`);
      }
    }
  });

  it('ticks each step off on an event that names a contributed command, setting or view', () => {
    const settings = new Set(Object.keys(manifest.contributes.configuration.properties));
    const views = new Set(Object.values(manifest.contributes.views).flat().map((v) => v.id));
    for (const step of walkthrough!.steps) {
      assert.ok(step.completionEvents?.length, `step "${step.title}" has no completionEvents: it would tick only when its button is clicked`);
      for (const event of step.completionEvents) {
        const [kind, argument] = [event.slice(0, event.indexOf(':')), event.slice(event.indexOf(':') + 1)];
        if (kind === 'onCommand') assert.ok(contributed.has(argument), `step "${step.title}": ${event} names a command package.json does not contribute`);
        else if (kind === 'onSettingChanged') assert.ok(settings.has(argument), `step "${step.title}": ${event} names a setting package.json does not contribute`);
        else if (kind === 'onView') assert.ok(views.has(argument), `step "${step.title}": ${event} names a view package.json does not contribute`);
        else if (kind === 'onContext') assert.match(argument, /eksConnector\.\w+/, `step "${step.title}": ${event} reads none of the extension's context keys`);
        else assert.fail(`step "${step.title}": unexpected completion event ${event}`);
      }
    }
  });

  it('ships every media file in the .vsix, and SVGs draw only with the theme\'s colours', async function () {
    this.timeout(60_000); // loading vsce
    const files = walkthrough!.steps.flatMap((step) => mediaFiles(step.media));
    for (const file of files) assert.ok(fs.existsSync(path.join(root, file)), `media file ${file} does not exist`);
    // vsce decides with the manifest and .vscodeignore; a folder holding those and the media files gets the same
    // answer as the repository, without vsce walking every file of the repository's caches.
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'eksc-walkthrough-'));
    let packaged: Set<string>;
    try {
      for (const file of ['package.json', '.vscodeignore', 'README.md', 'CHANGELOG.md', 'LICENSE', ...files]) {
        fs.mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
        fs.copyFileSync(path.join(root, file), path.join(copy, file));
      }
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- vsce ships no type declarations
      const vsce = require('@vscode/vsce') as { listFiles(options: { cwd: string; packageManager: number }): Promise<string[]>; PackageManager: { None: number } };
      packaged = new Set((await vsce.listFiles({ cwd: copy, packageManager: vsce.PackageManager.None })).map((f) => f.split(path.sep).join('/')));
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
    for (const step of walkthrough!.steps) {
      for (const file of mediaFiles(step.media)) {
        assert.ok(packaged.has(file), `step "${step.title}": ${file} is not in the .vsix (add it to the .vscodeignore allow-list)`);
        if (file.endsWith('.svg')) {
          const colours = [...fs.readFileSync(path.join(root, file), 'utf8').matchAll(/(?:fill|stroke|stop-color|color)\s*[:=]\s*"?([^";]+)/g)].map((m) => m[1].trim());
          const foreign = colours.filter((c) => !/^(var\(--vscode-[\w-]+\)|none|currentColor|transparent)$/.test(c));
          assert.deepEqual(foreign, [], `${file} uses colours that do not follow the theme; use var(--vscode-…)`);
        }
      }
    }
  });
});

// The activation shell and the features bundle register the commands listed in src/contributedCommands.ts, not
// what package.json contributes. A command contributed but in neither list would answer "command not found"; one
// hidden from the palette but registered at activation would cost activation time for nothing; one listed as
// item-only but shown in the palette would fail when run from there before the view has loaded.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { activationCommands, itemCommands, shellCommands } from '../../src/contributedCommands';

interface Manifest {
  contributes: {
    commands: Array<{ command: string }>;
    menus: Record<string, Array<{ command: string; when?: string }>>;
  };
}

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as Manifest;
const contributed = manifest.contributes.commands.map((c) => c.command);
const hiddenFromPalette = manifest.contributes.menus.commandPalette.filter((m) => m.when === 'false').map((m) => m.command);
const sorted = (xs: Iterable<string>) => [...xs].sort();

describe('contributed commands: what registers at activation and what with the features', () => {
  it('lists every command hidden from the palette as item-only, and nothing else', () => {
    assert.deepEqual(sorted(itemCommands), sorted(hiddenFromPalette), 'src/contributedCommands.ts itemCommands must equal the commandPalette entries with "when": "false" in package.json');
  });

  it('lists only contributed commands, each once, and every contributed command in one of the lists', () => {
    const listed = [...activationCommands, ...itemCommands, ...shellCommands];
    assert.equal(new Set(listed).size, listed.length, `a command is listed twice in src/contributedCommands.ts: ${listed.join(', ')}`);
    assert.deepEqual(sorted(listed), sorted(contributed), 'activationCommands + itemCommands + shellCommands must equal contributes.commands in package.json');
  });
});

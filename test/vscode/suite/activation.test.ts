// Smoke test in the real extension host: the extension is installed, activates, and registers every command
// its package.json contributes.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extensionApi';

const EXTENSION_ID = 'eks-connector-vscode.eks-connector-vscode'; // publisher.name

/** The contributed command ids, read defensively (packageJSON is untyped). */
function contributedCommands(packageJSON: unknown): string[] {
  if (typeof packageJSON !== 'object' || packageJSON === null) return [];
  const contributes = (packageJSON as { contributes?: unknown }).contributes;
  if (typeof contributes !== 'object' || contributes === null) return [];
  const commands = (contributes as { commands?: unknown }).commands;
  if (!Array.isArray(commands)) return [];
  return commands
    .map((c: unknown) => (typeof c === 'object' && c !== null ? (c as { command?: unknown }).command : undefined))
    .filter((id): id is string => typeof id === 'string');
}

/** Commands hidden from the palette ("when": "false"): only the view's items reach them. */
function itemOnlyCommands(packageJSON: unknown): Set<string> {
  const menus = (packageJSON as { contributes?: { menus?: { commandPalette?: unknown } } } | undefined)?.contributes?.menus;
  const entries = Array.isArray(menus?.commandPalette) ? (menus.commandPalette as Array<{ command?: unknown; when?: unknown }>) : [];
  return new Set(entries.filter((e) => e.when === 'false' && typeof e.command === 'string').map((e) => e.command as string));
}

describe('activation', function () {
  this.timeout(60_000); // the first activation loads the bundle cold

  it('the extension is installed', () => {
    assert.ok(vscode.extensions.getExtension(EXTENSION_ID), `${EXTENSION_ID} is not among the extensions`);
  });

  it('activates', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  it('registers every command the palette can reach on activation, and the item-only ones before the view lists anything', async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext);
    const api = await ext.activate();
    const contributed = contributedCommands(ext.packageJSON);
    assert.ok(contributed.length > 0, 'package.json contributes no commands');
    const itemOnly = itemOnlyCommands(ext.packageJSON);
    assert.ok(itemOnly.size > 0 && itemOnly.size < contributed.length, 'some commands are reachable only from the view items');
    const paletteReachable = contributed.filter((id) => !itemOnly.has(id));
    let registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(paletteReachable.filter((id) => !registered.has(id)), [], 'palette-reachable commands missing after activation');
    // The view asks for its root: the features load and the item commands are there before any item is.
    await api.clusterTree.getChildren();
    registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((id) => !registered.has(id));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
  });
});

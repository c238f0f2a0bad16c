// Smoke test in the real extension host: the extension is installed, activates, and registers every command
// its package.json contributes.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

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

  it('registers every contributed command', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    await ext.activate();
    const contributed = contributedCommands(ext.packageJSON);
    assert.ok(contributed.length > 0, 'package.json contributes no commands');
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((id) => !registered.has(id));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
  });
});

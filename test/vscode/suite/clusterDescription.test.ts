// Open Cluster Description in the real extension host, against the AWS emulator: the document's address names the
// account, an EKS cluster's node groups are listed, an open document follows a refresh of the view, and any such
// address (as restored after a window reload) is answered by describing the cluster again.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extensionApi';
import { EmulatorControl } from '../../../emulator/src/control-client';
import { TEST_ACCOUNT, vscodeTestSeed } from '../fixtures/awsWorld';
import { configure, extensionApi, rootWhenSettled, settledClusters, waitFor, type ItemView } from './explorerHelpers';

describe('Cluster description document', function () {
  this.timeout(90_000);
  let api: ExtensionApi;
  let control: EmulatorControl;
  const emulatorUrl = process.env.EKS_TEST_EMULATOR_URL ?? '';
  const seedWith = (desiredSize: number) => {
    const seed = vscodeTestSeed();
    const prod = seed.regions!['us-west-2'].clusters!.find((c) => c.name === 'prod')!;
    Object.assign(prod, { nodegroups: [{ name: 'general', instanceTypes: ['m5.large'], minSize: 1, maxSize: 5, desiredSize }] });
    return seed;
  };

  before(async function () {
    if (!emulatorUrl) this.skip();
    api = await extensionApi();
    control = new EmulatorControl(emulatorUrl);
    await control.loadSeed(seedWith(2));
    await control.resetFaults();
    api.clusterTree.refreshAll();
  });
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (emulatorUrl) await configure({ profile: '', regions: [] });
  });

  it('names the account in its address, lists the node groups, follows a refresh and answers a restored address', async () => {
    await configure({ profile: 'ci', regions: ['us-west-2'] });
    const root = await rootWhenSettled(api, 'ready');
    const region = root.find((i) => i.label === 'us-west-2') as ItemView;
    const prod = (await settledClusters(api, region)).find((c) => c.label === 'prod')!;
    await vscode.commands.executeCommand('eksConnector.openClusterDescription', prod.node);
    const editor = await waitFor('the description editor', () => vscode.window.visibleTextEditors.find((e) => e.document.uri.scheme === 'eks-connector-cluster'));
    assert.equal(editor.document.uri.path, `/${TEST_ACCOUNT}/us-west-2/prod.json`, 'the address names the account');
    const shown = JSON.parse(editor.document.getText()) as { name: string; nodegroups: Array<{ nodegroupName: string; scalingConfig?: { desiredSize?: number } }> };
    assert.equal(shown.name, 'prod');
    assert.deepEqual(shown.nodegroups.map((n) => [n.nodegroupName, n.scalingConfig?.desiredSize]), [['general', 2]]);

    // The node group is scaled elsewhere; a refresh of the view updates the open document.
    await control.loadSeed(seedWith(4));
    api.clusterTree.refreshAll();
    await waitFor('the open description to show the new size', () => /"desiredSize": 4/.test(editor.document.getText()) || undefined, 30_000);

    // An address nobody opened in this window (as restored after a reload) is described afresh.
    const restored = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: 'eks-connector-cluster', path: `/${TEST_ACCOUNT}/us-west-2/onprem.json` }));
    assert.equal((JSON.parse(restored.getText()) as { name: string }).name, 'onprem');
    // Another account's address says whose it is instead of showing this account's cluster of the same name.
    const other = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: 'eks-connector-cluster', path: '/999988887777/us-west-2/prod.json' }));
    assert.match(other.getText(), /belongs to account 999988887777, but the current AWS credentials are for account/);
  });
});

// The Clusters view in the real extension host, against the AWS emulator (see test/vscode/fixtures/awsWorld.ts).
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extensionApi';
import type { RegionNode } from '../../../src/explorer/nodes';
import { EmulatorControl } from '../../../emulator/src/control-client';
import { AWS_CONFIG, AWS_CREDENTIALS, TEST_ACCOUNT, vscodeTestSeed } from '../fixtures/awsWorld';
import { childrenOf, configure, extensionApi, rootWhenSettled, settledClusters, view, waitFor, type ItemView } from './explorerHelpers';

const byLabel = (items: ItemView[], label: string): ItemView => {
  const found = items.find((i) => i.label === label);
  assert.ok(found, `no "${label}" among ${items.map((i) => i.label).join(', ')}`);
  return found;
};

describe('Clusters view', function () {
  this.timeout(90_000);
  let api: ExtensionApi;
  let control: EmulatorControl;
  const emulatorUrl = process.env.EKS_TEST_EMULATOR_URL ?? '';

  before(async function () {
    if (!emulatorUrl) this.skip();
    api = await extensionApi();
    control = new EmulatorControl(emulatorUrl);
  });
  beforeEach(async () => {
    await control.loadSeed(vscodeTestSeed());
    await control.resetFaults();
    // Each test reads the fresh seed, not what an earlier test left loaded under the same settings.
    api.clusterTree.refreshAll();
  });
  after(async () => {
    if (emulatorUrl) await configure({ profile: '', regions: [] });
  });

  it('shows the account, the chosen regions and every cluster as the emulator holds them', async () => {
    await configure({ profile: 'ci', regions: ['us-west-2', 'eu-west-1'] });
    const root = await rootWhenSettled(api, 'ready');
    assert.deepEqual(root.map((r) => r.label), [`Account ${TEST_ACCOUNT}`, 'us-west-2', 'eu-west-1']);
    assert.equal(root[0].description, 'profile ci');
    assert.match(root[0].tooltip, /user\/ci-admin/);

    const clusters = await settledClusters(api, byLabel(root, 'us-west-2'));
    assert.deepEqual(clusters.map((c) => c.label).sort(), ['edge-expired', 'edge-pending', 'onprem', 'prod', 'staging']);
    const prod = byLabel(clusters, 'prod');
    assert.equal(prod.description, 'EKS 1.32');
    assert.equal(prod.icon, 'vm-running');
    assert.equal(prod.contextValue, 'eksConnector.cluster.eks.active');
    assert.equal(prod.id, `${TEST_ACCOUNT}:us-west-2:prod`);
    assert.match(prod.tooltip, new RegExp(`arn:aws:eks:us-west-2:${TEST_ACCOUNT}:cluster/prod`));
    assert.equal(byLabel(clusters, 'staging').description, 'updating · EKS 1.31');
    assert.equal(byLabel(clusters, 'staging').icon, 'sync~spin');
    const pending = byLabel(clusters, 'edge-pending');
    assert.match(pending.description, /^pending · 2 d 2[0-3] h left · connected · RANCHER$/);
    assert.equal(pending.contextValue, 'eksConnector.cluster.connected.pending');
    assert.equal(pending.icon, 'watch');
    const expired = byLabel(clusters, 'edge-expired');
    assert.equal(expired.description, 'failed · activation expired · connected · OTHER');
    assert.equal(expired.icon, 'error');
    assert.equal(byLabel(clusters, 'onprem').description, 'connected · OPENSHIFT · 1.30');
    assert.equal(byLabel(clusters, 'onprem').icon, 'plug');

    const eu = await settledClusters(api, byLabel(root, 'eu-west-1'));
    assert.deepEqual(eu.map((c) => c.label), ['payments']);
  });

  it('pages past 100 clusters with "Load more…", fetching one page however often it is clicked', async () => {
    await configure({ profile: 'ci', regions: ['ap-south-1'] });
    const root = await rootWhenSettled(api, 'ready');
    const first = await childrenOf(api, byLabel(root, 'ap-south-1'));
    assert.equal(first.filter((c) => c.node.type === 'cluster').length, 100);
    const more = first[first.length - 1];
    assert.equal(more.label, 'Load more…');
    assert.equal(more.command?.command, 'eksConnector.loadMore');
    await control.setFaults({ latency: [{ service: 'eks', operation: 'ListClusters', ms: 300 }] }); // also zeroes the counters
    await Promise.all([1, 2, 3].map(() => vscode.commands.executeCommand('eksConnector.loadMore', more.node)));
    const all = await childrenOf(api, byLabel(root, 'ap-south-1'));
    assert.equal(all.length, 130, 'all clusters and no further "Load more…"');
    const faults = await control.getFaults();
    assert.equal(faults.counters.requests['eks:ListClusters'], 1, 'three clicks, one page request');
  });

  it('shows changes made in AWS after a refresh', async () => {
    await configure({ profile: 'ci', regions: ['eu-west-1'] });
    let root = await rootWhenSettled(api, 'ready');
    assert.deepEqual((await settledClusters(api, byLabel(root, 'eu-west-1'))).map((c) => c.label), ['payments']);
    const seed = vscodeTestSeed();
    seed.regions!['eu-west-1'].clusters!.push({ name: 'newcomer', connector: { provider: 'AKS', roleArn: `arn:aws:iam::${TEST_ACCOUNT}:role/AmazonEKSConnectorAgentRole`, status: 'ACTIVE', version: '1.31' } });
    await control.loadSeed(seed);
    await vscode.commands.executeCommand('eksConnector.refresh');
    root = await rootWhenSettled(api, 'ready');
    const clusters = await settledClusters(api, byLabel(root, 'eu-west-1'));
    assert.deepEqual(clusters.map((c) => c.label).sort(), ['newcomer', 'payments']);
    assert.equal(byLabel(clusters, 'newcomer').description, 'connected · AKS · 1.31');
  });

  it('follows clusters in transition by describing only them, and drops one that has gone', async () => {
    await configure({ profile: 'ci', regions: ['us-west-2'] });
    const root = await rootWhenSettled(api, 'ready');
    const region = byLabel(root, 'us-west-2');
    // A load of its own, fully described, so no answer of an earlier load lands during the poll.
    await vscode.commands.executeCommand('eksConnector.refreshRegion', region.node);
    await childrenOf(api, region);
    await api.clusterTree.whenDescribed(region.node as RegionNode);
    // staging finishes its update; edge-pending (waiting for its agent) stays as it is.
    const seed = vscodeTestSeed();
    const clusters = seed.regions!['us-west-2'].clusters!;
    clusters.find((c) => c.name === 'staging')!.status = 'ACTIVE';
    await control.loadSeed(seed);
    await control.resetFaults();
    await api.clusterTree.pollTransitional();
    const staging = await waitFor('staging to show ACTIVE', async () => {
      const c = byLabel(await childrenOf(api, region), 'staging');
      return c.icon === 'vm-running' ? c : undefined;
    });
    assert.equal(staging.description, 'EKS 1.31');
    let counters = (await control.getFaults()).counters.requests;
    assert.deepEqual([counters['eks:DescribeCluster'], counters['eks:ListClusters'] ?? 0], [2, 0], 'staging and edge-pending were described, no other cluster, and the region was not listed again');

    // edge-pending is deregistered behind the view's back: the next poll finds it gone and reloads the region.
    await control.loadSeed({ ...seed, regions: { ...seed.regions, 'us-west-2': { ...seed.regions!['us-west-2'], clusters: clusters.filter((c) => c.name !== 'edge-pending') } } });
    await control.resetFaults();
    await api.clusterTree.pollTransitional();
    const after = await waitFor('edge-pending to leave the view', async () => {
      const children = await settledClusters(api, region);
      return children.some((c) => c.label === 'edge-pending') ? undefined : children;
    });
    assert.deepEqual(after.map((c) => c.label).sort(), ['edge-expired', 'onprem', 'prod', 'staging']);
    counters = (await control.getFaults()).counters.requests;
    assert.equal(counters['eks:ListClusters'], 1, 'one reload of the region');
  });

  it('shows an activation that expires while the view is open as failed after the next refresh', async () => {
    await configure({ profile: 'ci', regions: ['us-west-2'] });
    let root = await rootWhenSettled(api, 'ready');
    assert.equal(byLabel(await settledClusters(api, byLabel(root, 'us-west-2')), 'edge-pending').icon, 'watch');
    await control.advanceClock(72 * 3600);
    await vscode.commands.executeCommand('eksConnector.refreshRegion', byLabel(root, 'us-west-2').node);
    root = await rootWhenSettled(api, 'ready');
    const pending = await waitFor('edge-pending to show FAILED', async () => {
      const c = byLabel(await settledClusters(api, byLabel(root, 'us-west-2')), 'edge-pending');
      return c.icon === 'error' ? c : undefined;
    });
    assert.match(pending.description, /^failed · /, 'the status leads the description');
  });

  it('shows an error node where listing is denied, while other regions load', async () => {
    await configure({ profile: 'ci-limited', regions: ['us-west-2', 'eu-west-1'] });
    const root = await rootWhenSettled(api, 'ready');
    const eu = await childrenOf(api, byLabel(root, 'eu-west-1'));
    assert.equal(eu.length, 1);
    assert.equal(eu[0].label, 'Access denied: eks:ListClusters');
    assert.match(eu[0].tooltip, /not allowed to call eks:ListClusters in eu-west-1/);
    assert.match(eu[0].tooltip, /Ask your AWS administrator/);
    assert.equal(eu[0].contextValue, 'eksConnector.error');
    const us = await settledClusters(api, byLabel(root, 'us-west-2'));
    assert.equal(us.length, 5);
  });

  it('retries a failed region from its error node', async () => {
    await configure({ profile: 'ci', regions: ['eu-west-1'] });
    await control.setFaults({ errors: [{ service: 'eks', operation: 'ListClusters', status: 503, count: 4 }] });
    await vscode.commands.executeCommand('eksConnector.refresh');
    const root = await rootWhenSettled(api, 'ready');
    const failed = await childrenOf(api, byLabel(root, 'eu-west-1'));
    assert.equal(failed[0].label, 'AWS server error');
    assert.equal(failed[0].description, 'click to retry');
    assert.equal(failed[0].command?.command, 'eksConnector.refreshRegion');
    await vscode.commands.executeCommand(failed[0].command!.command, ...(failed[0].command!.arguments ?? []));
    const recovered = await settledClusters(api, byLabel(root, 'eu-west-1'));
    assert.deepEqual(recovered.map((c) => c.label), ['payments']);
  });

  it('reports unknown region names from settings and keeps them', async () => {
    await configure({ profile: 'ci', regions: ['eu-west-1', 'us-west2'] });
    const root = await rootWhenSettled(api, 'ready');
    const unknown = byLabel(root, 'Unknown region "us-west2"');
    assert.equal(unknown.description, 'did you mean us-west-2?');
    assert.deepEqual(vscode.workspace.getConfiguration('eksConnector').get('regions'), ['eu-west-1', 'us-west2']);
    assert.ok(root.some((r) => r.label === 'eu-west-1'));
  });

  it('welcome states: unknown profile, no region, no credentials — and recovers when the AWS files change', async () => {
    await configure({ profile: 'does-not-exist', regions: ['us-west-2'] });
    assert.deepEqual(await rootWhenSettled(api, 'credentialsFailed'), []);

    await configure({ profile: 'no-region', regions: [] });
    assert.deepEqual(await rootWhenSettled(api, 'noRegions'), []);

    const configFile = process.env.AWS_CONFIG_FILE!;
    const credentialsFile = process.env.AWS_SHARED_CREDENTIALS_FILE!;
    await configure({ profile: '', regions: ['us-west-2'] });
    await fs.writeFile(configFile, '');
    await fs.writeFile(credentialsFile, '');
    await vscode.commands.executeCommand('eksConnector.refresh');
    assert.deepEqual(await rootWhenSettled(api, 'noCredentials'), []);

    // Writing the files back is picked up by the file watcher: no command needed.
    await fs.writeFile(configFile, `[default]\nregion = us-west-2\nendpoint_url = ${emulatorUrl}\n`);
    await fs.writeFile(credentialsFile, AWS_CREDENTIALS.replace('[ci]', '[default]'));
    const root = await rootWhenSettled(api, 'ready');
    assert.equal(root[0].description, 'default credentials');
    await fs.writeFile(configFile, AWS_CONFIG(emulatorUrl));
    await fs.writeFile(credentialsFile, AWS_CREDENTIALS);
  });

  it('opens a cluster description as a read-only JSON document', async () => {
    await configure({ profile: 'ci', regions: ['us-west-2'] });
    const root = await rootWhenSettled(api, 'ready');
    const pending = byLabel(await settledClusters(api, byLabel(root, 'us-west-2')), 'edge-pending');
    await vscode.commands.executeCommand('eksConnector.openClusterDescription', pending.node);
    const editor = await waitFor('the description editor', () => {
      const e = vscode.window.activeTextEditor;
      return e?.document.uri.scheme === 'eks-connector-cluster' ? e : undefined;
    });
    const json = JSON.parse(editor.document.getText());
    assert.equal(json.name, 'edge-pending');
    assert.equal(json.connectorConfig.provider, 'RANCHER');
    assert.equal(json.connectorConfig.activationCode, undefined);
    assert.equal(editor.document.languageId, 'json');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('copies a cluster ARN', async () => {
    await configure({ profile: 'ci', regions: ['eu-west-1'] });
    const root = await rootWhenSettled(api, 'ready');
    const payments = byLabel(await settledClusters(api, byLabel(root, 'eu-west-1')), 'payments');
    await vscode.commands.executeCommand('eksConnector.copyArn', payments.node);
    assert.equal(await vscode.env.clipboard.readText(), `arn:aws:eks:eu-west-1:${TEST_ACCOUNT}:cluster/payments`);
  });

  it('the tree item of every node can be rendered', async () => {
    await configure({ profile: 'ci', regions: ['us-west-2'] });
    const root = await rootWhenSettled(api, 'ready');
    for (const node of root) assert.ok(view(api, node.node).label);
  });
});

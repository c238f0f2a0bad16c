// "Open Cluster Description": DescribeCluster (and, for an EKS cluster, its node groups) as a read-only JSON document
// (a virtual document, so it cannot be saved over anything). The address names the account, region and cluster, so
// two accounts' clusters of one name never share a document; any such address is answered by describing the cluster
// again (a document restored after a window reload too), and open documents are refreshed with the Clusters view.
// The activation code is redacted even if a service returned it.
import * as vscode from 'vscode';
import { redactClusterForDisplay } from '../core/clusters/clusterModel';
import { describeAwsError, formatDescribedError } from '../core/aws/errors';
import type { ClusterTreeProvider } from './clusterTreeProvider';

export const DESCRIPTION_SCHEME = 'eks-connector-cluster';

export function descriptionUri(account: string, region: string, name: string): vscode.Uri {
  return vscode.Uri.from({ scheme: DESCRIPTION_SCHEME, path: `/${account}/${region}/${name}.json` });
}

/** account (absent in addresses from older versions), region and name of a description address. */
export function parseDescriptionUri(uri: vscode.Uri): { account?: string; region: string; name: string } | undefined {
  const match = /^\/(?:(\d{12})\/)?([^/]+)\/(.+)\.json$/.exec(uri.path);
  return match ? { account: match[1], region: match[2], name: match[3] } : undefined;
}

export class ClusterDescriptionProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changes = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changes.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly tree: ClusterTreeProvider) {
    // A refresh of the view (Refresh, the timer, a new profile) describes the open documents again.
    this.subscription = tree.onDidChangeTreeData(() => {
      for (const document of vscode.workspace.textDocuments) {
        if (document.uri.scheme === DESCRIPTION_SCHEME) this.changes.fire(document.uri);
      }
    });
  }

  dispose(): void {
    this.subscription.dispose();
    this.changes.dispose();
  }

  /** The account of the current credentials; while the view re-reads them (a refresh), reads them through it. */
  private async currentAccount(): Promise<string | undefined> {
    if (!this.tree.connectionState) await this.tree.getChildren();
    const state = this.tree.connectionState;
    return state && 'identity' in state ? state.identity.account : undefined;
  }

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    const parsed = parseDescriptionUri(uri);
    if (!parsed) return `// Not a cluster description address: ${uri.toString()}\n`;
    const { account, region, name } = parsed;
    const current = await this.currentAccount();
    if (account && current && account !== current) {
      return `// ${name} in ${region} belongs to account ${account}, but the current AWS credentials are for account ${current}.\n// Choose a profile of account ${account} (EKS Connector: Choose AWS Profile…) to describe it again.\n`;
    }
    const abort = new AbortController();
    token.onCancellationRequested(() => abort.abort());
    const loader = this.tree.clusterLoader();
    const result = await loader.describe(region, name, abort.signal);
    if (!result.ok) {
      const described = describeAwsError(result.error, { activity: `Describing cluster ${name} in ${region}`, region, action: 'eks:DescribeCluster' });
      return `// ${formatDescribedError(described)}\n`;
    }
    const cluster = redactClusterForDisplay(result.cluster);
    if (cluster.connectorConfig) return `${JSON.stringify(cluster, null, 2)}\n`;
    // An EKS cluster's node groups; a failure to list them is said in place of the list, the cluster still shows.
    const nodegroups = await loader.nodegroups(region, name, abort.signal).catch((error: unknown) =>
      `could not be listed: ${formatDescribedError(describeAwsError(error, { activity: `Listing the node groups of ${name}`, region, action: 'eks:ListNodegroups' }))}`);
    return `${JSON.stringify({ ...cluster, nodegroups }, null, 2)}\n`;
  }
}

// "Open Cluster Description": DescribeCluster as a read-only JSON document (a virtual document, so it cannot be
// saved over anything). Fetched fresh on open; the activation code is redacted even if a service returned it.
import * as vscode from 'vscode';
import { redactClusterForDisplay } from '../core/clusters/clusterModel';
import { describeAwsError, formatDescribedError } from '../core/aws/errors';
import type { ClusterTreeProvider } from './clusterTreeProvider';

export const DESCRIPTION_SCHEME = 'eks-connector-cluster';

export function descriptionUri(region: string, name: string): vscode.Uri {
  return vscode.Uri.from({ scheme: DESCRIPTION_SCHEME, path: `/${region}/${name}.json` });
}

export class ClusterDescriptionProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly tree: ClusterTreeProvider) {}

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    const match = /^\/([^/]+)\/(.+)\.json$/.exec(uri.path);
    if (!match) return `// Not a cluster description address: ${uri.toString()}\n`;
    const [, region, name] = match;
    const abort = new AbortController();
    token.onCancellationRequested(() => abort.abort());
    const result = await this.tree.clusterLoader().describe(region, name, abort.signal);
    if (!result.ok) {
      const described = describeAwsError(result.error, { activity: `Describing cluster ${name} in ${region}`, region, action: 'eks:DescribeCluster' });
      return `// ${formatDescribedError(described)}\n`;
    }
    return `${JSON.stringify(redactClusterForDisplay(result.cluster), null, 2)}\n`;
  }
}

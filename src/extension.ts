// Activation: build the services and register the features. No network here, and the AWS SDK is loaded only
// when a view or command first needs it.
import * as vscode from 'vscode';
import { Logger } from './shared/logger';
import { AwsConnection } from './shared/awsConnection';
import { registerCommand } from './shared/commands';
import { SecretRedactor } from './core/util/redact';
import { registerExplorer } from './explorer';
import type { ClusterTreeProvider } from './explorer/clusterTreeProvider';

/** What activate() returns. Used by the integration tests to read the tree the way the view does. */
export interface ExtensionApi {
  readonly clusterTree: ClusterTreeProvider;
  readonly logger: Logger;
}

export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const redactor = new SecretRedactor();
  const logger = new Logger('EKS Connector', redactor);
  const version = (context.extension.packageJSON as { version?: string }).version ?? '0.0.0';
  const connection = new AwsConnection(logger.scoped('aws'), `eks-connector-vscode/${version}`);
  context.subscriptions.push(logger, connection, registerCommand(logger, 'eksConnector.showLog', () => logger.show()));
  const clusterTree = registerExplorer(context, logger, connection);
  return { clusterTree, logger };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}

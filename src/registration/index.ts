// Wires the registration commands.
import type { AwsConnection } from '../shared/awsConnection';
import type { Logger } from '../shared/logger';
import type { CommandTable } from '../shared/commands';
import type { ClusterTreeProvider } from '../explorer/clusterTreeProvider';
import type { ExplorerNode } from '../explorer/nodes';
import type { ContextMemory } from '../core/connector/clusterContextResolver';
import { ClusterActions } from './clusterActions';
import { RegisterWizard } from './registerWizard';

export function registrationCommands(connection: AwsConnection, tree: ClusterTreeProvider, logger: Logger, contexts: ContextMemory): CommandTable {
  const commands = new ClusterActions(connection, tree, logger, contexts);
  const wizard = new RegisterWizard(connection, tree, logger, contexts);
  return {
    'eksConnector.registerCurrentContext': (node?: ExplorerNode) => wizard.run(node),
    'eksConnector.deregister': (node?: ExplorerNode) => commands.deregister(node),
    'eksConnector.grantConsoleAccess': (node?: ExplorerNode) => commands.grant(node),
    'eksConnector.revokeConsoleAccess': (node?: ExplorerNode) => commands.revoke(node),
    'eksConnector.repairConnector': (node?: ExplorerNode) => commands.repair(node),
  };
}

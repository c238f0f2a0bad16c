// Wires the registration commands.
import type { AwsConnection } from '../shared/awsConnection';
import type { Logger } from '../shared/logger';
import type { CommandTable } from '../shared/commands';
import type { ClusterTreeProvider } from '../explorer/clusterTreeProvider';
import type { ExplorerNode } from '../explorer/nodes';
import type { ContextMemory } from '../core/connector/clusterContextResolver';
import { RegistrationCommands } from './registrationCommands';
import { ClusterActions } from './clusterActions';

export function registrationCommands(connection: AwsConnection, tree: ClusterTreeProvider, logger: Logger, contexts: ContextMemory): CommandTable {
  const commands = new RegistrationCommands(connection, tree, logger, contexts);
  const actions = new ClusterActions(connection, tree, logger, contexts);
  return {
    'eksConnector.registerCurrentContext': (node?: ExplorerNode) => commands.registerCurrentContext(node),
    'eksConnector.deregister': (node?: ExplorerNode) => actions.deregister(node),
    'eksConnector.grantConsoleAccess': (node?: ExplorerNode) => actions.grant(node),
    'eksConnector.revokeConsoleAccess': (node?: ExplorerNode) => actions.revoke(node),
    'eksConnector.repairConnector': (node?: ExplorerNode) => actions.repair(node),
  };
}

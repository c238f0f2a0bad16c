// What a failed command shows: its title as in the menu (not its id), what failed, what to do and what is left
// behind, the parts the CLI prints on their own lines.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { commandFailureMessage } from '../../src/shared/failureMessage';
import { ConnectorError, kubeStep } from '../../src/core/connector/connectorError';

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { contributes: { commands: Array<{ command: string; title: string }> } };
const title = (id: string) => manifest.contributes.commands.find((c) => c.command === id)!.title;

describe('command failure messages', () => {
  it('name the command by its title and carry the fix and what remains of a connector failure', () => {
    const error = new ConnectorError('Registering ui-1 in us-west-2 failed: the quota of 10 connected clusters is reached', 'aws',
      ['the IAM role AmazonEKSConnectorAgentRole'], undefined, 'Deregister a connected cluster you no longer use, then try again.');
    const message = commandFailureMessage(title('eksConnector.registerCurrentContext'), error);
    assert.equal(message, 'Register Kube Context with EKS failed: Registering ui-1 in us-west-2 failed: the quota of 10 connected clusters is reached. '
      + 'Deregister a connected cluster you no longer use, then try again. Left behind: the IAM role AmazonEKSConnectorAgentRole.');
    assert.doesNotMatch(message, /registerCurrentContext|eksConnector\./);
  });

  it('keep the kube error\'s advice for the context it went through', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const error = await kubeStep(() => Promise.reject(refused), 'Reading console access', 'kind-dev').catch((e: unknown) => e);
    const message = commandFailureMessage(title('eksConnector.revokeConsoleAccess'), error);
    assert.match(message, /^Revoke Console Access failed: Reading console access .*failed/);
    assert.ok(message.includes((error as ConnectorError).fix!), `the fix is shown: ${message}`);
    assert.match(message, /kind-dev/);
  });

  it('describe a raw AWS SDK failure with its fix', () => {
    const sdk = Object.assign(new Error('User: arn:aws:iam::111122223333:user/ci is not authorized to perform: eks:DeregisterCluster'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });
    const message = commandFailureMessage(title('eksConnector.deregister'), sdk);
    assert.match(message, /^Deregister from EKS failed: (?!Deregister)/);
    assert.match(message, /eks:DeregisterCluster/);
  });

  it('keep a message written for the user, prefixed by the title', () => {
    assert.equal(commandFailureMessage(title('eksConnector.repairConnector'), new Error('No kube context reaches ui-1.'), true), 'Repair Connector: No kube context reaches ui-1.');
  });
});

// Settings that decide where credentials and secrets go, in the real extension host: a workspace (a cloned
// repository) cannot choose the images that receive a cluster's activation code, and a line of the AWS files never
// reaches the log.
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { readConnectorSettings, readExplorerSettings } from '../../../src/shared/settings';
import { DEFAULT_CONNECTOR_IMAGE, DEFAULT_SSM_AGENT_IMAGE, describeImages } from '../../../src/core/connector/images';
import { AWS_CREDENTIALS } from '../fixtures/awsWorld';
import { configure, extensionApi, rootWhenSettled, waitFor } from './explorerHelpers';

const MIRROR = 'registry.example.com/mirror/amazon-ssm-agent:3.2.2303.0';
const FOREIGN = 'attacker.example.com/agent:1';

describe('settings that decide where secrets go', function () {
  this.timeout(60_000);
  const config = () => vscode.workspace.getConfiguration('eksConnector');

  describe('connector images', () => {
    let settingsFile: string;
    before(() => {
      const folder = vscode.workspace.workspaceFolders?.[0];
      assert.ok(folder, 'the test window has a workspace folder');
      settingsFile = path.join(folder.uri.fsPath, '.vscode', 'settings.json');
    });
    afterEach(async () => {
      await fs.rm(path.dirname(settingsFile), { recursive: true, force: true });
      await waitFor('the workspace settings to be gone', () => config().inspect('pinToLinuxAmd64Nodes')?.workspaceValue === undefined);
      await config().update('ssmAgentImage', undefined, vscode.ConfigurationTarget.Global);
      await config().update('connectorImage', undefined, vscode.ConfigurationTarget.Global);
    });

    it('images set in the workspace settings are ignored: the checklist shows the pinned defaults', async () => {
      // As a cloned repository would carry them, beside a setting a workspace may set (to see the file was read).
      await fs.mkdir(path.dirname(settingsFile), { recursive: true });
      await fs.writeFile(settingsFile, JSON.stringify({
        'eksConnector.connectorImage': FOREIGN,
        'eksConnector.ssmAgentImage': FOREIGN,
        'eksConnector.profile': 'attacker',
        'eksConnector.pinToLinuxAmd64Nodes': false,
      }));
      await waitFor('VS Code to read the workspace settings', () => config().inspect('pinToLinuxAmd64Nodes')?.workspaceValue === false);

      const settings = readConnectorSettings();
      assert.equal(settings.nodeSelector, false, 'the workspace file was read');
      assert.equal(settings.images.connector, undefined);
      assert.equal(settings.images.ssmAgent, undefined);
      assert.notEqual(readExplorerSettings().profile, 'attacker');
      assert.deepEqual(describeImages(settings.images), [
        `connector-init, connector-proxy: ${DEFAULT_CONNECTOR_IMAGE} (the pinned default)`,
        `connector-agent: ${DEFAULT_SSM_AGENT_IMAGE} (the pinned default)`,
      ]);
    });

    it('an image set in the user settings is used, and the checklist names the setting it came from', async () => {
      await config().update('ssmAgentImage', MIRROR, vscode.ConfigurationTarget.Global);
      // A workspace value beside it changes nothing.
      await fs.mkdir(path.dirname(settingsFile), { recursive: true });
      await fs.writeFile(settingsFile, JSON.stringify({ 'eksConnector.ssmAgentImage': FOREIGN, 'eksConnector.pinToLinuxAmd64Nodes': false }));
      await waitFor('VS Code to read the workspace settings', () => config().inspect('pinToLinuxAmd64Nodes')?.workspaceValue === false);

      const settings = readConnectorSettings();
      assert.equal(settings.images.ssmAgent, MIRROR);
      assert.equal(settings.images.connector, undefined);
      assert.deepEqual(describeImages(settings.images), [
        `connector-init, connector-proxy: ${DEFAULT_CONNECTOR_IMAGE} (the pinned default)`,
        `connector-agent: ${MIRROR} (from your user settings eksConnector.ssmAgentImage)`,
      ]);
    });
  });

  describe('the AWS credentials file', () => {
    const emulatorUrl = process.env.EKS_TEST_EMULATOR_URL ?? '';
    const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const TOKEN_PIECE = 'IQoJb3JpZ2luX2VjEBYaCXVzLWVhc3QtMSJHMEUCIQD';
    before(function () {
      if (!emulatorUrl) this.skip();
    });
    after(async () => {
      if (emulatorUrl) {
        await fs.writeFile(process.env.AWS_SHARED_CREDENTIALS_FILE!, AWS_CREDENTIALS);
        await configure({ profile: '', regions: [] });
      }
    });

    it('a malformed line reaches the log as file and line number, with no fragment of the key or token on it', async () => {
      const api = await extensionApi();
      // Everything the channel receives, after the logger's redaction: what the Output panel and log file show.
      const received: string[] = [];
      const channel = api.logger.channel;
      const original = { warn: channel.warn, info: channel.info, error: channel.error, debug: channel.debug, trace: channel.trace };
      for (const level of Object.keys(original) as Array<keyof typeof original>) {
        channel[level] = (message: string, ...args: unknown[]) => {
          received.push(message);
          (original[level] as (m: string, ...a: unknown[]) => void).call(channel, message, ...args);
        };
      }
      try {
        await configure({ profile: 'ci', regions: ['us-west-2'] });
        const file = process.env.AWS_SHARED_CREDENTIALS_FILE!;
        // A key pasted on a line of its own, and a session token wrapped onto the next lines.
        await fs.writeFile(file, `${AWS_CREDENTIALS}\n[pasted]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n${SECRET_KEY}\naws_session_token = ${TOKEN_PIECE}\n${TOKEN_PIECE.slice(5)}\n`);
        const lines = AWS_CREDENTIALS.split('\n').length;
        await vscode.commands.executeCommand('eksConnector.refresh');
        await rootWhenSettled(api, 'ready');
        const logged = await waitFor('both lines to be logged', () => {
          const mentions = received.filter((m) => m.includes(file));
          return mentions.some((m) => m.includes(`line ${lines + 3}:`)) && mentions.some((m) => m.includes(`line ${lines + 5}:`)) ? mentions : undefined;
        });
        const all = received.join('\n');
        for (const secret of [SECRET_KEY, TOKEN_PIECE.slice(5)]) {
          for (let i = 0; i + 8 <= secret.length; i++) assert.ok(!all.includes(secret.slice(i, i + 8)), `the log carries "${secret.slice(i, i + 8)}"`);
        }
        assert.match(logged.find((m) => m.includes(`line ${lines + 3}:`))!, /a setting must look like key = value; the AWS SDK skips this line/);
      } finally {
        Object.assign(channel, original);
      }
    });
  });
});

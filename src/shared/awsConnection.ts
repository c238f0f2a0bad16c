// The AWS side of the window: which profile and regions are in use, who the caller is, and one AwsSession that
// is replaced when the profile setting or the shared AWS files change (so edits, `aws sso login` and new keys
// take effect without a reload).
import * as vscode from 'vscode';
import { watchFile, unwatchFile } from 'node:fs';
import { loadCore, type Core } from './core';
import { readExplorerSettings } from './settings';
import { checkRegions, suggestRegion, type RegionInfo } from '../core/aws/regions';
import { describeAwsError, type DescribedError } from '../core/aws/errors';
import type { ScopedLogger } from './logger';

type AwsSession = InstanceType<Core['AwsSession']>;
type CallerIdentity = Awaited<ReturnType<AwsSession['callerIdentity']>>;
type IniProblem = Awaited<ReturnType<Core['lintAwsConfigFiles']>>[number];

export type ConnectionState =
  | { readonly kind: 'noCredentials'; readonly error: DescribedError }
  | { readonly kind: 'credentialsFailed'; readonly error: DescribedError }
  | { readonly kind: 'noRegions'; readonly identity: CallerIdentity; readonly profile?: string }
  | {
      readonly kind: 'ready';
      readonly identity: CallerIdentity;
      readonly profile?: string;
      readonly regions: RegionInfo[];
      /** Configured entries that are not EKS regions; shown as errors, never removed from settings. */
      readonly unknownRegions: Array<{ name: string; suggestion?: string }>;
      readonly configProblems: IniProblem[];
    };

export const DEFAULT_IDENTITY_REGION = 'us-east-1';

export class AwsConnection implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when the session was replaced: profile setting or AWS files changed. */
  readonly onDidChange = this.changed.event;
  private current?: AwsSession;
  private watched: string[] = [];
  private debounce?: NodeJS.Timeout;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly log: ScopedLogger, private readonly appId: string) {
    this.disposables.push(vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('eksConnector.profile')) this.replaceSession('the eksConnector.profile setting changed');
    }));
  }

  /** The session for the configured profile (created on first use; loads the core bundle). */
  session(): AwsSession {
    if (!this.current) {
      const core = loadCore();
      const { profile } = readExplorerSettings();
      this.current = new core.AwsSession({ profile, appId: this.appId });
      this.watchAwsFiles(core);
      this.log.info(`AWS session created for ${profile ? `profile "${profile}"` : 'the default credential chain'}`);
    }
    return this.current;
  }

  /** Forgets cached credentials and identity; the next call builds a new session. */
  replaceSession(reason: string): void {
    this.log.info(`Reloading AWS credentials: ${reason}`);
    this.current?.dispose();
    this.current = undefined;
    this.changed.fire();
  }

  async resolve(signal?: AbortSignal): Promise<ConnectionState> {
    const core = loadCore();
    const settings = readExplorerSettings();
    const profile = settings.profile;
    const [profiles, configProblems] = await Promise.all([
      core.listProfiles().catch(() => []),
      core.lintAwsConfigFiles().catch(() => []),
    ]);
    // By file and line only: the line itself may be a secret (see IniProblem).
    for (const p of configProblems) this.log.warn(core.describeIniProblem(p));
    const paths = core.awsConfigPaths();

    if (profile && !profiles.some((p) => p.name === profile)) {
      const hint = configProblems.length
        ? ` Note: ${configProblems[0].file} line ${configProblems[0].line} is not valid (${configProblems[0].problem}), which can hide a profile.`
        : '';
      return {
        kind: 'credentialsFailed',
        error: {
          kind: 'unknownProfile', retryable: false,
          summary: `Using AWS profile "${profile}" failed`,
          reason: `The profile "${profile}" (setting eksConnector.profile) is not defined in ${paths.configFile} or ${paths.credentialsFile}.${hint}`,
          fix: 'Choose another profile with "EKS Connector: Choose AWS Profile…", or add this profile to the AWS config file.',
        },
      };
    }

    const checked = checkRegions(settings.regions);
    const profileRegionId = await core.profileRegion(profile).catch(() => undefined);
    const identityRegion = checked.valid[0]?.id ?? profileRegionId ?? DEFAULT_IDENTITY_REGION;

    let identity: CallerIdentity;
    try {
      identity = await this.session().callerIdentity(identityRegion, signal);
    } catch (error) {
      const described = describeAwsError(error, { activity: 'Reading the AWS identity (sts:GetCallerIdentity)', profile, region: identityRegion });
      this.log.warn(`${described.summary}: ${described.reason}`);
      if (described.kind === 'noCredentials' && profiles.length === 0) return { kind: 'noCredentials', error: described };
      return { kind: 'credentialsFailed', error: described };
    }

    let regions = checked.valid;
    if (settings.regions.length === 0) {
      const fromProfile = profileRegionId ? checkRegions([profileRegionId]).valid : [];
      if (fromProfile.length === 0) return { kind: 'noRegions', identity, profile };
      regions = fromProfile;
    }
    return {
      kind: 'ready', identity, profile, regions, configProblems,
      unknownRegions: checked.unknown.map((name) => ({ name, suggestion: suggestRegion(name) })),
    };
  }

  private watchAwsFiles(core: Core): void {
    const paths = core.awsConfigPaths();
    const files = [paths.configFile, paths.credentialsFile];
    if (files.join('\n') === this.watched.join('\n')) return;
    this.unwatch();
    // Polling stat works for files that do not exist yet and across editors that replace files on save.
    const onChange = (file: string) => () => {
      clearTimeout(this.debounce);
      this.debounce = setTimeout(() => this.replaceSession(`${file} changed`), 500);
    };
    for (const file of files) {
      const listener = onChange(file);
      watchFile(file, { interval: 2000, persistent: false }, listener);
      this.listeners.set(file, listener);
    }
    this.watched = files;
  }

  private readonly listeners = new Map<string, () => void>();

  private unwatch(): void {
    for (const [file, listener] of this.listeners) unwatchFile(file, listener);
    this.listeners.clear();
    this.watched = [];
  }

  dispose(): void {
    clearTimeout(this.debounce);
    this.unwatch();
    this.current?.dispose();
    this.changed.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

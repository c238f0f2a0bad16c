// Reads the shared AWS config and credentials files the way the AWS SDK does (same loader, same environment
// variables), and adds what the SDK does not offer: a list of profiles for a picker, a lint that names the lines
// the SDK would silently skip, and endpoint resolution for an explicitly chosen profile.
import { loadSharedConfigFiles, loadConfig } from '@smithy/core/config';
import { homedir } from 'node:os';
import path from 'node:path';
import { promises as fs } from 'node:fs';

export interface AwsConfigPaths {
  readonly configFile: string;
  readonly credentialsFile: string;
  readonly ssoCacheDir: string;
}

export function awsConfigPaths(env: NodeJS.ProcessEnv = process.env): AwsConfigPaths {
  const home = env.HOME || env.USERPROFILE || homedir();
  return {
    configFile: env.AWS_CONFIG_FILE || path.join(home, '.aws', 'config'),
    credentialsFile: env.AWS_SHARED_CREDENTIALS_FILE || path.join(home, '.aws', 'credentials'),
    ssoCacheDir: path.join(home, '.aws', 'sso', 'cache'),
  };
}

export type CredentialSource = 'static' | 'sso' | 'process' | 'assumeRole' | 'webIdentity' | 'login' | 'none';

export interface ProfileInfo {
  readonly name: string;
  readonly region?: string;
  readonly source: CredentialSource;
  /** Set when the profile (or its services section) points some service at a custom endpoint. */
  readonly hasEndpointUrl: boolean;
  /** Which files define it. */
  readonly inConfigFile: boolean;
  readonly inCredentialsFile: boolean;
}

type IniSection = Record<string, string | undefined>;

function sourceOf(section: IniSection): CredentialSource {
  if (section.sso_session || section.sso_start_url) return 'sso';
  if (section.credential_process) return 'process';
  if (section.role_arn && section.web_identity_token_file) return 'webIdentity';
  if (section.role_arn) return 'assumeRole';
  if (section.aws_access_key_id) return 'static';
  if (section.login_session) return 'login';
  return 'none';
}

/** Every profile from both files (the SDK's own parser; `ignoreCache` so edits are seen). */
export async function listProfiles(): Promise<ProfileInfo[]> {
  const { configFile, credentialsFile } = await loadSharedConfigFiles({ ignoreCache: true });
  const names = new Set<string>();
  for (const name of Object.keys(configFile)) if (!name.includes('.')) names.add(name);
  for (const name of Object.keys(credentialsFile)) names.add(name);
  return [...names].sort(profileOrder).map((name) => {
    const fromConfig: IniSection = configFile[name] ?? {};
    const fromCredentials: IniSection = credentialsFile[name] ?? {};
    const merged = { ...fromConfig, ...fromCredentials };
    return {
      name,
      region: merged.region,
      source: sourceOf(merged),
      hasEndpointUrl: !!merged.endpoint_url || !!merged.services,
      inConfigFile: name in configFile,
      inCredentialsFile: name in credentialsFile,
    };
  });
}

function profileOrder(a: string, b: string): number {
  if (a === 'default') return -1;
  if (b === 'default') return 1;
  return a.localeCompare(b);
}

/** The region a profile names (`region` in its config section), else AWS_REGION / AWS_DEFAULT_REGION. */
export async function profileRegion(profile: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const { configFile, credentialsFile } = await loadSharedConfigFiles({ ignoreCache: true });
  const name = profile || env.AWS_PROFILE || 'default';
  return env.AWS_REGION || configFile[name]?.region || credentialsFile[name]?.region || env.AWS_DEFAULT_REGION || undefined;
}

/**
 * A line the SDK would skip, named by file and line number only: the text is never kept, because a malformed line
 * is often a secret (a pasted key, a session token wrapped onto the next line) that no pattern can recognise.
 */
export interface IniProblem {
  readonly file: string;
  readonly line: number;
  readonly problem: string;
}

/** The log line for a problem: where it is, what is wrong, and what the SDK does about it — never the line's text. */
export function describeIniProblem(p: IniProblem): string {
  return `${p.file} line ${p.line}: ${p.problem}; the AWS SDK skips this line. Open the file at that line to fix it.`;
}

/** Lines the SDK's ini parser would silently skip, so a typo does not look like "profile not found". */
export function lintIni(file: string, content: string): IniProblem[] {
  const problems: IniProblem[] = [];
  let inSection = false;
  let lastKeyHadNoValue = false;
  content.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/^\uFEFF/, '');
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    const report = (problem: string) => problems.push({ file, line: index + 1, problem });
    if (trimmed.startsWith('[')) {
      if (!/^\[[^\]]+\]\s*([#;].*)?$/.test(trimmed)) report('a section header must look like [name] or [profile name]');
      inSection = true;
      lastKeyHadNoValue = false;
      return;
    }
    const indented = /^\s/.test(line);
    if (indented && lastKeyHadNoValue) {
      if (!trimmed.includes('=')) report('a nested setting must look like key = value');
      return;
    }
    if (!inSection) return report('a setting must come after a [section] header');
    const eq = trimmed.indexOf('=');
    if (eq <= 0) return report('a setting must look like key = value');
    lastKeyHadNoValue = trimmed.slice(eq + 1).trim() === '';
  });
  return problems;
}

/** Lints both shared files; missing files are not a problem. */
export async function lintAwsConfigFiles(paths: AwsConfigPaths = awsConfigPaths()): Promise<IniProblem[]> {
  const problems: IniProblem[] = [];
  for (const file of [paths.configFile, paths.credentialsFile]) {
    const content = await fs.readFile(file, 'utf8').catch(() => undefined);
    if (content !== undefined) problems.push(...lintIni(file, content));
  }
  return problems;
}

/**
 * The endpoint URL the SDK conventions give a service for a profile: AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL,
 * the profile's `services` section, then its `endpoint_url`; none when `ignore_configured_endpoint_urls` is set.
 * The SDK applies the same rules but only for the profile in AWS_PROFILE, not for a client's `profile` option,
 * so the extension resolves it here and passes the result as the client's `endpoint`.
 */
export async function configuredEndpointUrl(serviceId: string, profile: string | undefined): Promise<string | undefined> {
  const envSuffix = serviceId.split(' ').map((w) => w.toUpperCase()).join('_');
  const servicePrefix = serviceId.split(' ').map((w) => w.toLowerCase()).join('_');
  const ignore = await loadConfig<boolean>({
    environmentVariableSelector: (env) => isTrue(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS),
    configFileSelector: (p) => isTrue(p.ignore_configured_endpoint_urls),
    default: false,
  }, { profile })();
  if (ignore) return undefined;
  return loadConfig<string | undefined>({
    environmentVariableSelector: (env) => env[`AWS_ENDPOINT_URL_${envSuffix}`] || env.AWS_ENDPOINT_URL || undefined,
    configFileSelector: (p, config) => {
      if (p.services) {
        const section = config?.[`services.${p.services}`];
        if (!section) {
          throw new Error(`The services section "${p.services}" named by the profile is not in the AWS config file.`);
        }
        const url = section[`${servicePrefix}.endpoint_url`];
        if (url) return url;
      }
      return p.endpoint_url || undefined;
    },
    default: undefined,
  }, { profile })();
}

function isTrue(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  return value.toLowerCase() === 'true';
}

// Loads kubeconfig files the way kubectl (client-go's loading rules) does, but never throws on bad input: every
// file of a multi-path KUBECONFIG is read, the first file to define a name wins, current-context comes from the
// first file that sets one, and whatever is wrong is returned as a problem naming the file and the fix.
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';

export type KubeconfigProblemKind =
  | 'missingFile'
  | 'unreadableFile'
  | 'parseError'
  | 'invalidEntry'
  | 'missingCluster'
  | 'missingUser'
  | 'missingServer'
  | 'missingExecPlugin'
  | 'unsupportedAuthProvider'
  | 'unknownCurrentContext'
  | 'noContexts';

export interface KubeconfigProblem {
  readonly kind: KubeconfigProblemKind;
  /** error: the context (or file) cannot be used; warning: it can, but something is off. */
  readonly severity: 'error' | 'warning';
  /** The file at fault, when one is. */
  readonly file?: string;
  /** 1-based line of a YAML parse error. */
  readonly line?: number;
  readonly column?: number;
  /** The context this problem makes unusable, when it is about one context. */
  readonly context?: string;
  readonly message: string;
  readonly fix: string;
}

export interface ExecPluginInfo {
  readonly command: string;
  /** Where the command was found; undefined when it is not on PATH. */
  readonly resolvedPath?: string;
}

export interface KubeContextInfo {
  readonly name: string;
  readonly cluster: string;
  /** Empty when the context names no user (anonymous access). */
  readonly user: string;
  readonly namespace?: string;
  /** The API server URL of the context's cluster, when that cluster is defined. */
  readonly server?: string;
  /** The file that defined this context. */
  readonly file: string;
  /** The exec credential plugin of the context's user, if it uses one. */
  readonly execPlugin?: ExecPluginInfo;
  /** False when a problem of severity error names this context (kubeConfigFor would refuse it). */
  readonly usable: boolean;
}

export interface LoadedKubeconfig {
  readonly contexts: KubeContextInfo[];
  readonly currentContext?: string;
  readonly problems: KubeconfigProblem[];
  /** The files read, in precedence order (missing ones included). */
  readonly files: string[];
}

export interface LoadKubeconfigOptions {
  /** The KUBECONFIG value; default process.env.KUBECONFIG. An empty string means "not set". */
  readonly kubeconfigEnv?: string;
  /** Home folder for ~/.kube/config; default os.homedir(). */
  readonly homeDir?: string;
  /** PATH used to look for exec plugins; default process.env.PATH (the extension host's, which may differ from a shell's). */
  readonly pathEnv?: string;
  /** Separator of KUBECONFIG; default path.delimiter (':' on Linux and macOS, ';' on Windows). */
  readonly delimiter?: string;
}

export class KubeconfigError extends Error {
  constructor(readonly problems: KubeconfigProblem[]) {
    super(problems.map((p) => `${p.message} ${p.fix}`).join(' '));
    this.name = 'KubeconfigError';
  }
}

type Raw = Record<string, unknown>;
interface NamedEntry { readonly name: string; readonly file: string; readonly body: Raw }
interface Internals {
  readonly clusters: Map<string, NamedEntry>;
  readonly users: Map<string, NamedEntry>;
  readonly contexts: Map<string, NamedEntry>;
}

// The raw entries (tokens, keys) stay out of the returned object so that logging it never leaks a credential.
const internals = new WeakMap<LoadedKubeconfig, Internals>();

/** Install hints for the exec plugins people meet most. */
const PLUGIN_HINTS: Record<string, string> = {
  'aws': 'install the AWS CLI v2 (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html)',
  'aws-iam-authenticator': 'install aws-iam-authenticator (https://github.com/kubernetes-sigs/aws-iam-authenticator)',
  'gke-gcloud-auth-plugin': 'install it with `gcloud components install gke-gcloud-auth-plugin`',
  'kubelogin': 'install it with `az aks install-cli` (or from https://azure.github.io/kubelogin)',
  'gcloud': 'install the Google Cloud CLI (https://cloud.google.com/sdk/docs/install)',
  'az': 'install the Azure CLI (https://learn.microsoft.com/cli/azure/install-azure-cli)',
  'oc': 'install the OpenShift CLI',
  'kubectl-oidc_login': 'install kubelogin for OIDC (`kubectl krew install oidc-login`)',
  'tsh': 'install Teleport\'s tsh',
  'rancher': 'install the Rancher CLI',
};

function isRecord(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The files kubectl would read: every entry of KUBECONFIG (deduplicated, empty entries skipped), else ~/.kube/config. */
export function kubeconfigPaths(options: LoadKubeconfigOptions = {}): string[] {
  const env = options.kubeconfigEnv ?? process.env.KUBECONFIG ?? '';
  if (env.trim() !== '') {
    const seen = new Set<string>();
    const files: string[] = [];
    for (const entry of env.split(options.delimiter ?? path.delimiter)) {
      if (entry.trim() === '') continue;
      const file = path.resolve(entry);
      if (!seen.has(file)) {
        seen.add(file);
        files.push(file);
      }
    }
    if (files.length > 0) return files;
  }
  return [path.join(options.homeDir ?? os.homedir(), '.kube', 'config')];
}

export async function loadKubeconfig(options: LoadKubeconfigOptions = {}): Promise<LoadedKubeconfig> {
  const files = kubeconfigPaths(options);
  const fromEnv = (options.kubeconfigEnv ?? process.env.KUBECONFIG ?? '').trim() !== '';
  const problems: KubeconfigProblem[] = [];
  const maps: Internals = { clusters: new Map(), users: new Map(), contexts: new Map() };
  let currentContext: string | undefined;
  let currentContextFile: string | undefined;

  for (const file of files) {
    const parsed = await readFileDoc(file, fromEnv, problems);
    if (!parsed) continue;
    collect(parsed, 'clusters', 'cluster', file, maps.clusters, problems);
    collect(parsed, 'users', 'user', file, maps.users, problems);
    collect(parsed, 'contexts', 'context', file, maps.contexts, problems);
    // client-go: the first file that sets current-context wins.
    if (currentContext === undefined && str(parsed['current-context'])) {
      currentContext = str(parsed['current-context']);
      currentContextFile = file;
    }
  }

  const pathEnv = options.pathEnv ?? process.env.PATH ?? '';
  const contexts: KubeContextInfo[] = [];
  for (const entry of maps.contexts.values()) {
    contexts.push(await contextInfo(entry, maps, pathEnv, problems));
  }
  if (currentContext !== undefined && !maps.contexts.has(currentContext)) {
    problems.push({
      kind: 'unknownCurrentContext', severity: 'warning', file: currentContextFile,
      message: `The current context "${currentContext}" (set in ${currentContextFile}) is not defined in any kubeconfig file.`,
      fix: `Choose one of the defined contexts (\`kubectl config use-context <name>\`), or add "${currentContext}".`,
    });
  }
  const readable = files.length > problems.filter((p) => p.kind === 'missingFile' || p.kind === 'unreadableFile' || p.kind === 'parseError').length;
  if (contexts.length === 0 && readable) {
    problems.push({
      kind: 'noContexts', severity: 'warning',
      message: `No context is defined in ${files.join(', ')}.`,
      fix: 'Add the cluster to your kubeconfig with your provider\'s tool (for example `aws eks update-kubeconfig`, `gcloud container clusters get-credentials`, `az aks get-credentials`), or set KUBECONFIG to a file that has contexts.',
    });
  }
  const loaded: LoadedKubeconfig = { contexts, currentContext, problems, files };
  internals.set(loaded, maps);
  return loaded;
}

async function readFileDoc(file: string, fromEnv: boolean, problems: KubeconfigProblem[]): Promise<Raw | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT') {
      problems.push({
        kind: 'missingFile', severity: fromEnv ? 'warning' : 'error', file,
        message: `The kubeconfig file ${file} does not exist.`,
        fix: fromEnv
          ? 'Remove it from KUBECONFIG, or create it (for example with your cluster provider\'s "update-kubeconfig" command).'
          : 'Create it with your cluster provider\'s tool (for example `aws eks update-kubeconfig`), or set KUBECONFIG to your kubeconfig file.',
      });
    } else {
      problems.push({
        kind: 'unreadableFile', severity: 'error', file,
        message: `The kubeconfig file ${file} could not be read (${code ?? (err as Error).message}).`,
        fix: code === 'EISDIR' ? 'KUBECONFIG must list files, not folders: fix the entry.' : 'Check the file\'s permissions (it must be readable by you).',
      });
    }
    return undefined;
  }
  if (text.trim() === '') return {}; // kubectl accepts an empty file as an empty config
  let doc: unknown;
  try {
    doc = k8s.loadYaml<unknown>(text);
  } catch (err) {
    const e = err as { reason?: string; message?: string; mark?: { line?: number; column?: number } };
    let line = typeof e.mark?.line === 'number' ? e.mark.line + 1 : undefined;
    let column = typeof e.mark?.column === 'number' ? e.mark.column + 1 : undefined;
    // Only js-yaml's reason, not its message: the message quotes the surrounding lines, which may hold a token.
    let reason = e.reason ?? (e.message ?? String(err)).split('\n')[0];
    // The parser stops at the end of the file; the line to fix is where the unclosed `[` or `{` opened.
    const opener = /end of the stream within a flow collection/.test(reason) ? unclosedFlowOpener(text) : undefined;
    if (opener) {
      ({ line, column } = opener);
      reason = `the "${opener.char}" opened here is never closed (the file ends inside it)`;
    }
    problems.push({
      kind: 'parseError', severity: 'error', file, ...(line !== undefined ? { line } : {}), ...(column !== undefined ? { column } : {}),
      message: `The kubeconfig file ${file} is not valid YAML${line !== undefined ? ` (line ${line}${column !== undefined ? `, column ${column}` : ''})` : ''}: ${reason}.`,
      fix: `Fix the YAML${line !== undefined ? ` at line ${line}` : ''} of ${file}, or remove the file from KUBECONFIG. Its contexts are ignored until then.`,
    });
    return undefined;
  }
  if (!isRecord(doc)) {
    problems.push({
      kind: 'parseError', severity: 'error', file,
      message: `The kubeconfig file ${file} is not a kubeconfig (its top level is ${Array.isArray(doc) ? 'a list' : typeof doc}, not a mapping).`,
      fix: `Point KUBECONFIG at a kubeconfig file (apiVersion: v1, kind: Config), or fix ${file}.`,
    });
    return undefined;
  }
  return doc;
}

/**
 * The innermost `[` or `{` still open at the end of `text`, skipping quoted strings and comments. Block scalars are
 * not recognised; this is only asked once the parser has said the file ends inside a flow collection.
 */
function unclosedFlowOpener(text: string): { char: string; line: number; column: number } | undefined {
  const open: { char: string; line: number; column: number }[] = [];
  text.split(/\r?\n/).forEach((content, index) => {
    let quote: string | undefined;
    for (let i = 0; i < content.length; i++) {
      const c = content[i];
      if (quote) {
        if (c === quote && !(quote === '"' && content[i - 1] === '\\')) quote = undefined;
      } else if (c === '"' || c === "'") {
        quote = c;
      } else if (c === '#' && (i === 0 || /\s/.test(content[i - 1]))) {
        break;
      } else if (c === '[' || c === '{') {
        open.push({ char: c, line: index + 1, column: i + 1 });
      } else if (c === ']' || c === '}') {
        open.pop();
      }
    }
  });
  return open[open.length - 1];
}

function collect(doc: Raw, listKey: string, bodyKey: string, file: string, into: Map<string, NamedEntry>, problems: KubeconfigProblem[]): void {
  const list = doc[listKey];
  if (list === undefined || list === null) return;
  if (!Array.isArray(list)) {
    problems.push({
      kind: 'invalidEntry', severity: 'error', file,
      message: `In ${file}, \`${listKey}\` is not a list.`, fix: `Fix \`${listKey}\` in ${file}: it must be a list of { name, ${bodyKey} } entries.`,
    });
    return;
  }
  list.forEach((item, index) => {
    const name = isRecord(item) ? str(item.name) : undefined;
    const body = isRecord(item) ? item[bodyKey] : undefined;
    if (!name || !isRecord(body)) {
      problems.push({
        kind: 'invalidEntry', severity: 'warning', file,
        message: `In ${file}, ${listKey}[${index}] has no ${name ? `\`${bodyKey}\` mapping` : 'name'} and is ignored.`,
        fix: `Give ${listKey}[${index}] a name and a \`${bodyKey}\` mapping, or remove it.`,
      });
      return;
    }
    // client-go merge: the first file to define a name wins; later definitions are ignored.
    if (!into.has(name)) into.set(name, { name, file, body });
  });
}

async function contextInfo(entry: NamedEntry, maps: Internals, pathEnv: string, problems: KubeconfigProblem[]): Promise<KubeContextInfo> {
  const clusterName = str(entry.body.cluster) ?? '';
  const userName = str(entry.body.user) ?? '';
  const namespace = str(entry.body.namespace);
  const cluster = maps.clusters.get(clusterName);
  const user = userName ? maps.users.get(userName) : undefined;
  const own: KubeconfigProblem[] = [];
  const name = entry.name;
  if (!cluster) {
    own.push({
      kind: 'missingCluster', severity: 'error', file: entry.file, context: name,
      message: clusterName
        ? `Context "${name}" (in ${entry.file}) points at the cluster "${clusterName}", which no kubeconfig file defines.`
        : `Context "${name}" (in ${entry.file}) names no cluster.`,
      fix: clusterName
        ? `Add the cluster "${clusterName}" to a kubeconfig file (or re-run your provider's "update-kubeconfig"), fix the context, or choose another context.`
        : 'Set `cluster:` in the context, or choose another context.',
    });
  }
  const server = cluster && isRecord(cluster.body) ? str(cluster.body.server) : undefined;
  if (cluster && !server) {
    own.push({
      kind: 'missingServer', severity: 'error', file: cluster.file, context: name,
      message: `The cluster "${clusterName}" of context "${name}" (in ${cluster.file}) has no server address.`,
      fix: `Set \`server: https://...\` for the cluster "${clusterName}" in ${cluster.file}, or choose another context.`,
    });
  }
  if (userName && !user) {
    own.push({
      kind: 'missingUser', severity: 'error', file: entry.file, context: name,
      message: `Context "${name}" (in ${entry.file}) points at the user "${userName}", which no kubeconfig file defines.`,
      fix: `Add the user "${userName}" to a kubeconfig file (or re-run your provider's "update-kubeconfig"), fix the context, or choose another context.`,
    });
  }
  let execPlugin: ExecPluginInfo | undefined;
  const exec = user && isRecord(user.body.exec) ? user.body.exec : undefined;
  const command = exec ? str(exec.command) : undefined;
  if (user && exec && !command) {
    own.push({
      kind: 'invalidEntry', severity: 'error', file: user.file, context: name,
      message: `The user "${userName}" of context "${name}" (in ${user.file}) has an exec section without a command.`,
      fix: `Set \`exec.command\` for the user "${userName}", or choose another context.`,
    });
  }
  if (user && command) {
    const resolvedPath = await findExecutable(command, path.dirname(user.file), pathEnv);
    execPlugin = { command, ...(resolvedPath ? { resolvedPath } : {}) };
    if (!resolvedPath) {
      const base = path.basename(command);
      const hint = PLUGIN_HINTS[base.replace(/\.(exe|cmd|bat)$/i, '')];
      own.push({
        kind: 'missingExecPlugin', severity: 'error', file: user.file, context: name,
        message: `Context "${name}" needs the exec plugin \`${base}\`, which is not installed (not found on the PATH VS Code sees).`,
        fix: `${hint ? capitalise(hint) : `Install \`${base}\``} or choose another context. If it is installed, make sure its folder is on PATH for VS Code (restart VS Code from a shell that has it).`,
      });
    }
  }
  const authProvider = user && isRecord(user.body['auth-provider']) ? str(user.body['auth-provider'].name) : undefined;
  if (authProvider === 'gcp' || authProvider === 'azure') {
    const plugin = authProvider === 'gcp' ? 'gke-gcloud-auth-plugin' : 'kubelogin';
    own.push({
      kind: 'unsupportedAuthProvider', severity: 'warning', file: user?.file, context: name,
      message: `Context "${name}" uses the built-in "${authProvider}" auth provider, which kubectl removed in v1.26.`,
      fix: `Switch the user to the exec plugin \`${plugin}\` (${PLUGIN_HINTS[plugin]}) and regenerate the kubeconfig entry.`,
    });
  }
  problems.push(...own);
  return {
    name, cluster: clusterName, user: userName, file: entry.file,
    ...(namespace ? { namespace } : {}), ...(server ? { server } : {}), ...(execPlugin ? { execPlugin } : {}),
    usable: !own.some((p) => p.severity === 'error'),
  };
}

/**
 * Where `command` would be run from: a path (with a separator) is taken relative to the kubeconfig's folder, as
 * client-go does; a bare name is looked up on PATH (with PATHEXT on Windows).
 */
export async function findExecutable(command: string, baseDir: string, pathEnv: string): Promise<string | undefined> {
  const windows = process.platform === 'win32';
  const exts = windows ? ['', ...(process.env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';').filter(Boolean)] : [''];
  const candidates: string[] = [];
  if (command.includes('/') || (windows && command.includes('\\'))) {
    const full = path.isAbsolute(command) ? command : path.resolve(baseDir, command);
    candidates.push(...exts.map((ext) => full + ext));
  } else {
    for (const dir of pathEnv.split(path.delimiter)) {
      if (dir) candidates.push(...exts.map((ext) => path.join(dir, command + ext)));
    }
  }
  for (const candidate of candidates) {
    try {
      await fs.access(candidate, windows ? fsConstants.F_OK : fsConstants.X_OK);
      const stat = await fs.stat(candidate);
      if (stat.isFile()) return candidate;
    } catch {
      // not here; try the next one
    }
  }
  return undefined;
}

/** Relative file references in a kubeconfig entry are relative to the file that holds the entry (client-go). */
function resolvePaths(body: Raw, keys: string[], baseDir: string): Raw {
  const out: Raw = { ...body };
  for (const key of keys) {
    const value = str(out[key]);
    if (value && !path.isAbsolute(value)) out[key] = path.resolve(baseDir, value);
  }
  return out;
}

/**
 * A client-node KubeConfig holding just `contextName` (its cluster and user), with that context current. Throws a
 * KubeconfigError, before any network call, when the context is unknown or unusable (missing cluster or user, or an
 * exec plugin that is not installed).
 */
export function kubeConfigFor(contextName: string, loaded: LoadedKubeconfig): k8s.KubeConfig {
  const maps = internals.get(loaded);
  const context = maps?.contexts.get(contextName);
  const info = loaded.contexts.find((c) => c.name === contextName);
  if (!maps || !context || !info) {
    throw new KubeconfigError([{
      kind: 'invalidEntry', severity: 'error', context: contextName,
      message: `No kubeconfig context is named "${contextName}" (files read: ${loaded.files.join(', ') || 'none'}).`,
      fix: loaded.contexts.length > 0
        ? `Choose one of: ${loaded.contexts.map((c) => c.name).join(', ')}.`
        : 'Add the cluster to your kubeconfig with your provider\'s tool, then reload.',
    }]);
  }
  const blocking = loaded.problems.filter((p) => p.context === contextName && p.severity === 'error');
  if (blocking.length > 0) throw new KubeconfigError(blocking);

  const cluster = maps.clusters.get(info.cluster)!;
  const user = info.user ? maps.users.get(info.user) : undefined;
  const clusterBody = resolvePaths(cluster.body, ['certificate-authority'], path.dirname(cluster.file));
  let userBody: Raw | undefined;
  if (user) {
    const dir = path.dirname(user.file);
    userBody = resolvePaths(user.body, ['client-certificate', 'client-key', 'token-file', 'tokenFile'], dir);
    // client-go spells it tokenFile; client-node reads only token-file.
    if (str(userBody.tokenFile) && !str(userBody['token-file'])) userBody['token-file'] = userBody.tokenFile;
    if (isRecord(userBody.exec)) {
      const exec = { ...userBody.exec };
      if (info.execPlugin?.resolvedPath) exec.command = info.execPlugin.resolvedPath;
      // client-node passes env straight on; a YAML `env: null` would break its forEach.
      if (!Array.isArray(exec.env)) delete exec.env;
      userBody.exec = exec;
    }
  }
  const raw = {
    apiVersion: 'v1', kind: 'Config',
    clusters: [{ name: cluster.name, cluster: clusterBody }],
    users: user && userBody ? [{ name: user.name, user: userBody }] : [],
    contexts: [{ name: contextName, context: { cluster: cluster.name, ...(user ? { user: user.name } : {}), ...(info.namespace ? { namespace: info.namespace } : {}) } }],
    'current-context': contextName,
  };
  const kc = new k8s.KubeConfig();
  try {
    kc.loadFromString(JSON.stringify(raw));
  } catch (err) {
    throw new KubeconfigError([{
      kind: 'invalidEntry', severity: 'error', context: contextName, file: context.file,
      message: `Context "${contextName}" cannot be used: ${(err as Error).message}.`,
      fix: 'Fix the context, its cluster and user in the kubeconfig (a token-file must exist), or choose another context.',
    }]);
  }
  return kc;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// Names, providers and tags accepted by eks:RegisterCluster (checked client-side so the user sees a precise message
// instead of an InvalidParameterException), plus the fixed names and labels of the objects the connector manifest
// creates in the cluster.

/** Outcome of checking user input: the normalised value, or what is wrong and how to fix it. */
export type ValidationResult<T = string> = { ok: true; value: T } | { ok: false; message: string; hint?: string };

const invalid = (message: string, hint?: string): { ok: false; message: string; hint?: string } =>
  hint === undefined ? { ok: false, message } : { ok: false, message, hint };

// ---------------------------------------------------------------------------------------------------------------
// Kubernetes object names and labels of the connector manifest

export const CONNECTOR_NAMESPACE = 'eks-connector';
export const CONNECTOR_SERVICE_ACCOUNT = 'eks-connector';
export const CONNECTOR_APP_LABEL = { app: 'eks-connector' } as const;

/** Labels on every object this extension renders, so it can find (and only remove) its own objects. */
export const MANAGED_LABELS = {
  'app.kubernetes.io/managed-by': 'eks-connector-vscode',
  'app.kubernetes.io/part-of': 'eks-connector',
} as const;

/** Annotation naming the EKS registration an object belongs to, as `<region>/<cluster name>`. */
export const CLUSTER_ANNOTATION = 'eks-connector-vscode/cluster';

/** Which EKS registration rendered objects belong to. */
export interface RegistrationTarget {
  readonly clusterName: string;
  readonly region: string;
}

/** Metadata shared by every rendered object: fresh label/annotation maps each time so callers may mutate freely. */
export function managedObjectMeta(
  name: string,
  target: RegistrationTarget,
  namespace?: string,
  extra?: { labels?: Record<string, string>; annotations?: Record<string, string> },
): { name: string; namespace?: string; labels: Record<string, string>; annotations: Record<string, string> } {
  return {
    name,
    ...(namespace === undefined ? {} : { namespace }),
    labels: { ...extra?.labels, ...MANAGED_LABELS },
    annotations: { ...extra?.annotations, [CLUSTER_ANNOTATION]: `${target.region}/${target.clusterName}` },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Cluster name (RegisterCluster `name`)

export const CLUSTER_NAME_MAX_LENGTH = 100;
const CLUSTER_NAME_PATTERN = /^[0-9A-Za-z][A-Za-z0-9\-_]*$/;
const FALLBACK_CLUSTER_NAME = 'connected-cluster';

const describeChar = (char: string): string => (/\s/.test(char) ? 'a space' : `'${char}'`);

/** 1–100 characters, starting with a letter or digit, then letters, digits, `-` and `_`. Surrounding blanks are ignored. */
export function validateClusterName(name: string): ValidationResult {
  const trimmed = name.trim();
  if (trimmed.length === 0) return invalid('Enter a cluster name.', 'Use letters, digits, "-" and "_", for example "my-cluster".');
  // Count characters, not UTF-16 units, so positions match what the user sees.
  const chars = Array.from(trimmed);
  if (!/^[0-9A-Za-z]$/.test(chars[0])) {
    return invalid(`The name must start with a letter or digit, but it starts with ${describeChar(chars[0])}.`, suggestionHint(trimmed));
  }
  const badIndex = chars.findIndex((char) => !/^[A-Za-z0-9\-_]$/.test(char));
  if (badIndex >= 0) {
    return invalid(
      `${capitalise(describeChar(chars[badIndex]))} at position ${badIndex + 1} is not allowed: use only letters, digits, "-" and "_".`,
      suggestionHint(trimmed),
    );
  }
  if (chars.length > CLUSTER_NAME_MAX_LENGTH) {
    return invalid(`The name is ${chars.length} characters long; EKS allows at most ${CLUSTER_NAME_MAX_LENGTH}.`, suggestionHint(trimmed));
  }
  // Defensive: the checks above are the pattern, spelled out for better messages.
  if (!CLUSTER_NAME_PATTERN.test(trimmed)) return invalid('The name is not valid.', suggestionHint(trimmed));
  return { ok: true, value: trimmed };
}

const capitalise = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

function suggestionHint(input: string): string {
  return `Try "${suggestClusterName(input)}".`;
}

/**
 * A valid cluster name derived from a kubeconfig context name (never empty):
 * `arn:aws:eks:<region>:<acct>:cluster/x` → `x`; `gke_<project>_<zone>_<name>` → `<name>`;
 * `user@cluster.example.com` → `cluster`; OpenShift `<ns>/api-host-example-com:6443/<user>` → `host-example-com`;
 * anything else is cleaned up (`k3d-dev` stays `k3d-dev`).
 */
export function suggestClusterName(contextName: string): string {
  const raw = contextName.trim();
  let candidate = raw;
  const eksArn = /^arn:[^:]+:eks:[^:]*:[^:]*:cluster\/(.+)$/.exec(raw);
  const gke = /^gke_[^_]+_[^_]+_(.+)$/.exec(raw);
  const openShift = /^[^/]*\/(?:api-)?([^/:]+)(?::\d+)?\/[^/]+$/.exec(raw);
  if (eksArn) candidate = eksArn[1];
  else if (gke) candidate = gke[1];
  else if (openShift) candidate = openShift[1];
  else if (raw.includes('@')) {
    // eksctl writes `<user>@<cluster>.<region>.eksctl.io`; other tools `<user>@<host>`: the first label names the cluster.
    const host = raw.slice(raw.lastIndexOf('@') + 1);
    candidate = host.split('.')[0] || host;
  }
  // Letters with diacritics keep their base letter (`ünïcode` → `unicode`) rather than becoming dashes.
  let cleaned = candidate
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[^A-Za-z0-9\-_]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '');
  cleaned = Array.from(cleaned).slice(0, CLUSTER_NAME_MAX_LENGTH).join('').replace(/[-_]+$/, '');
  if (cleaned.length > 0) return cleaned;
  // The special forms may leave nothing (e.g. `user@`); fall back to cleaning the whole context name.
  if (candidate !== raw) return suggestClusterName(raw.replace(/[@/:]/g, '-'));
  return FALLBACK_CLUSTER_NAME;
}

// ---------------------------------------------------------------------------------------------------------------
// Provider (RegisterCluster `connectorConfig.provider`)

/** The exact enum of ConnectorConfigProvider, with labels for pickers. */
export const CONNECTOR_PROVIDERS = [
  { value: 'EKS_ANYWHERE', label: 'Amazon EKS Anywhere' },
  { value: 'ANTHOS', label: 'Google Anthos' },
  { value: 'GKE', label: 'Google Kubernetes Engine (GKE)' },
  { value: 'AKS', label: 'Azure Kubernetes Service (AKS)' },
  { value: 'OPENSHIFT', label: 'Red Hat OpenShift' },
  { value: 'TANZU', label: 'VMware Tanzu' },
  { value: 'RANCHER', label: 'Rancher' },
  { value: 'EC2', label: 'Kubernetes on Amazon EC2' },
  { value: 'OTHER', label: 'Other' },
] as const;

export type ConnectorProvider = (typeof CONNECTOR_PROVIDERS)[number]['value'];

const providerValues = CONNECTOR_PROVIDERS.map((p) => p.value);
// Compared without separators so `eks-anywhere`, `EKS Anywhere` and `eksanywhere` all match EKS_ANYWHERE.
const compact = (text: string): string => text.toUpperCase().replace(/[\s_-]+/g, '');

export function isConnectorProvider(value: string): value is ConnectorProvider {
  return (providerValues as readonly string[]).includes(value);
}

/** Accepts the enum in any case with `-`, `_` or spaces as separators, or a provider's label; suggests near misses. */
export function validateProvider(input: string): ValidationResult<ConnectorProvider> {
  const typed = compact(input);
  const choices = providerValues.join(', ');
  if (typed.length === 0) return invalid('Choose a provider.', `One of: ${choices}.`);
  for (const provider of CONNECTOR_PROVIDERS) {
    if (compact(provider.value) === typed || compact(provider.label) === typed) return { ok: true, value: provider.value };
  }
  const nearest = nearestProvider(typed);
  return invalid(
    `"${input.trim()}" is not a provider EKS accepts.`,
    nearest ? `Did you mean ${nearest}? Providers: ${choices}.` : `Use one of: ${choices} (OTHER for anything else).`,
  );
}

function nearestProvider(typed: string): ConnectorProvider | undefined {
  let best: { provider: ConnectorProvider; distance: number } | undefined;
  for (const provider of providerValues) {
    const target = compact(provider);
    // A prefix of at least three letters (`EKS`, `OPEN`) is a near miss too.
    const distance = typed.length >= 3 && target.startsWith(typed) ? 1 : editDistance(typed, target);
    if (!best || distance < best.distance) best = { provider, distance };
  }
  return best && best.distance <= Math.max(1, Math.min(2, Math.floor(typed.length / 3))) ? best.provider : undefined;
}

/** Levenshtein distance with adjacent transpositions (a swapped pair counts as one typo). */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

// ---------------------------------------------------------------------------------------------------------------
// Tags (RegisterCluster `tags`)

export const MAX_TAGS = 50;
export const TAG_KEY_MAX_LENGTH = 128;
export const TAG_VALUE_MAX_LENGTH = 256;

/**
 * 1–50 tags, keys 1–128 characters, values 0–256 characters. An empty map is valid and yields `undefined`, meaning
 * "send no `tags` field" (the API refuses an empty map). Keys starting with `aws:` are refused: AWS reserves them.
 */
export function validateTags(tags: Readonly<Record<string, string>>): ValidationResult<Record<string, string> | undefined> {
  const entries = Object.entries(tags);
  if (entries.length === 0) return { ok: true, value: undefined };
  if (entries.length > MAX_TAGS) {
    return invalid(`There are ${entries.length} tags; EKS allows at most ${MAX_TAGS}.`, `Remove ${entries.length - MAX_TAGS} of them.`);
  }
  for (const [key, value] of entries) {
    const keyLength = Array.from(key).length;
    if (key.trim().length === 0) return invalid('A tag key is empty.', 'Give every tag a key of 1 to 128 characters.');
    if (keyLength > TAG_KEY_MAX_LENGTH) {
      return invalid(`Tag key "${shorten(key)}" is ${keyLength} characters long; the limit is ${TAG_KEY_MAX_LENGTH}.`);
    }
    if (key.toLowerCase().startsWith('aws:')) {
      return invalid(`Tag key "${key}" starts with "aws:", a prefix AWS reserves for its own tags.`, 'Choose a key without the "aws:" prefix.');
    }
    if (typeof value !== 'string') return invalid(`The value of tag "${key}" must be text.`);
    const valueLength = Array.from(value).length;
    if (valueLength > TAG_VALUE_MAX_LENGTH) {
      return invalid(`The value of tag "${shorten(key)}" is ${valueLength} characters long; the limit is ${TAG_VALUE_MAX_LENGTH}.`);
    }
  }
  return { ok: true, value: Object.fromEntries(entries) };
}

const shorten = (text: string): string => (text.length > 40 ? `${text.slice(0, 37)}…` : text);

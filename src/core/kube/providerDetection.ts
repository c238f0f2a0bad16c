// Guesses the RegisterCluster `provider` value (docs/connector-reference.md#register-request) from what the cluster itself reveals: served API
// groups, the server's gitVersion, node labels and providerIDs, and a few well-known namespaces. Never fails: a
// cluster that cannot be inspected is OTHER, with the reason as evidence.
import { isCancellation } from '../util/abort';
import { KubeOperationError } from './errors';
import type { KubeCluster } from './kubeCluster';

export const CONNECTOR_PROVIDERS = ['EKS_ANYWHERE', 'ANTHOS', 'GKE', 'AKS', 'OPENSHIFT', 'TANZU', 'RANCHER', 'EC2', 'OTHER'] as const;
export type ConnectorProvider = (typeof CONNECTOR_PROVIDERS)[number];

export interface ProviderGuess {
  provider: ConnectorProvider;
  /** What gave it away, for the UI ("API group route.openshift.io is served"). */
  evidence: string;
}

export interface DetectProviderOptions {
  signal?: AbortSignal;
}

interface Facts {
  gitVersion?: string;
  groups?: string[];
  nodes?: Array<{ name: string; labels: Record<string, string>; providerID?: string }>;
  namespaces: Set<string>;
  failures: string[];
}

/** Namespaces whose mere existence is a marker. */
const MARKER_NAMESPACES = ['cattle-system', 'eksa-system'];

/** A short, plain reason for the UI: the API server's "nodes is forbidden: User … cannot list …" becomes "not allowed". */
function reasonOf(err: unknown): string {
  if (err instanceof KubeOperationError) {
    if (err.described.kind === 'forbidden') return 'not allowed for this context\'s user';
    if (err.described.kind === 'unauthorized') return 'the credentials were rejected';
    return err.described.reason.replace(/\.$/, '');
  }
  return err instanceof Error ? err.message : String(err);
}

async function gather(cluster: KubeCluster, signal: AbortSignal | undefined): Promise<Facts> {
  const facts: Facts = { namespaces: new Set(), failures: [] };
  const note = (what: string) => (err: unknown) => {
    if (isCancellation(err)) throw err;
    facts.failures.push(`${what}, ${reasonOf(err)}`);
  };
  await Promise.all([
    cluster.version(signal).then((v) => { facts.gitVersion = v.gitVersion; }, note('version')),
    cluster.apiGroups(signal).then((g) => { facts.groups = g; }, note('API groups')),
    cluster.listNodes(signal).then((nodes) => {
      facts.nodes = nodes.map((n) => ({ name: n.metadata?.name ?? '?', labels: n.metadata?.labels ?? {}, providerID: n.spec?.providerID }));
    }, note('nodes')),
    ...MARKER_NAMESPACES.map((name) => cluster.readNamespace(name, signal).then((ns) => {
      if (ns) facts.namespaces.add(name);
    }, note(`namespace ${name}`))),
  ]);
  return facts;
}

export async function detectProvider(cluster: KubeCluster, options: DetectProviderOptions = {}): Promise<ProviderGuess> {
  let facts: Facts;
  try {
    facts = await gather(cluster, options.signal);
  } catch (err) {
    if (isCancellation(err)) throw err;
    return { provider: 'OTHER', evidence: `the cluster could not be inspected: ${reasonOf(err)}` };
  }
  if (facts.gitVersion === undefined && facts.groups === undefined && facts.nodes === undefined) {
    return { provider: 'OTHER', evidence: `the cluster could not be inspected: ${facts.failures[0] ?? 'no answer'}` };
  }
  return classify(facts);
}

function classify(facts: Facts): ProviderGuess {
  const groups = facts.groups ?? [];
  const group = (test: (g: string) => boolean) => groups.find(test);
  const servedGroup = (name: string) => group((g) => g === name);
  const version = facts.gitVersion ?? '';
  const nodes = facts.nodes ?? [];
  const nodeWithLabel = (key: string) => nodes.find((n) => key in n.labels);
  const labelEvidence = (key: string) => {
    const node = nodeWithLabel(key);
    return node ? `node ${node.name} has the label ${key}=${node.labels[key]}` : undefined;
  };

  // Most specific first: a platform that runs on a cloud (OpenShift on AWS, Rancher on GKE) is named by the platform.
  const openshift = servedGroup('config.openshift.io') ?? servedGroup('route.openshift.io');
  if (openshift) return { provider: 'OPENSHIFT', evidence: `API group ${openshift} is served` };

  const eksa = servedGroup('anywhere.eks.amazonaws.com');
  if (eksa) return { provider: 'EKS_ANYWHERE', evidence: `API group ${eksa} is served` };
  if (facts.namespaces.has('eksa-system')) return { provider: 'EKS_ANYWHERE', evidence: 'namespace eksa-system exists' };

  const anthos = group((g) => /(^|\.)anthos|gkeonprem|onprem\.cluster\.gke\.io/.test(g));
  if (anthos) return { provider: 'ANTHOS', evidence: `API group ${anthos} is served` };

  const tanzu = servedGroup('run.tanzu.vmware.com');
  if (tanzu) return { provider: 'TANZU', evidence: `API group ${tanzu} is served` };
  if (/\+vmware\./.test(version)) return { provider: 'TANZU', evidence: `the server version ${version} is a VMware Tanzu build` };

  if (/-gke\./.test(version)) return { provider: 'GKE', evidence: `the server version ${version} is a GKE build` };
  const gke = labelEvidence('cloud.google.com/gke-nodepool');
  if (gke) return { provider: 'GKE', evidence: gke };

  const aks = labelEvidence('kubernetes.azure.com/cluster');
  if (aks) return { provider: 'AKS', evidence: aks };

  const rancher = servedGroup('management.cattle.io');
  if (rancher) return { provider: 'RANCHER', evidence: `API group ${rancher} is served` };
  if (facts.namespaces.has('cattle-system')) return { provider: 'RANCHER', evidence: 'namespace cattle-system exists (Rancher agent)' };
  if (/\+rke2/.test(version)) return { provider: 'RANCHER', evidence: `the server version ${version} is an RKE2 build` };

  if (/-eks-/.test(version) || nodeWithLabel('eks.amazonaws.com/nodegroup')) {
    return { provider: 'OTHER', evidence: `this looks like an Amazon EKS cluster (${/-eks-/.test(version) ? `server version ${version}` : labelEvidence('eks.amazonaws.com/nodegroup')}), which EKS lists without the connector` };
  }
  if (/\+k3s/.test(version)) return { provider: 'OTHER', evidence: `the server version ${version} is k3s (or k3d)` };

  const ec2 = nodes.find((n) => n.providerID?.startsWith('aws://'));
  if (ec2) return { provider: 'EC2', evidence: `node ${ec2.name} has the providerID ${ec2.providerID}` };

  const looked = [
    version ? `server version ${version}` : undefined,
    facts.groups ? `${groups.length} API groups` : undefined,
    facts.nodes ? `${nodes.length} node${nodes.length === 1 ? '' : 's'}` : undefined,
  ].filter(Boolean).join(', ');
  // One level of parentheses at most: the UI shows this inside its own sentence.
  const failed = facts.failures.length ? `; could not read ${facts.failures.join('; ')}` : '';
  return { provider: 'OTHER', evidence: `no known provider markers: checked ${looked}${failed}` };
}

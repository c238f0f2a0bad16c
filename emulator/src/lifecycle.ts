// Clock-driven state transitions, applied lazily whenever a record is read: an unused activation expires (the
// cluster goes FAILED), a deregistered cluster disappears, a cluster seeded as CREATING becomes ACTIVE, and updates
// (also one a cluster was seeded in the middle of) complete and take effect.
import type { ClusterRecord, EksDetails, RegionState, UpdateRecord } from './state';

function applyUpdate(details: EksDetails, update: UpdateRecord, now: number): void {
  const change = update.change;
  switch (change.kind) {
    case 'endpointAccess':
      details.endpointPublicAccess = change.endpointPublicAccess;
      details.endpointPrivateAccess = change.endpointPrivateAccess;
      details.publicAccessCidrs = change.publicAccessCidrs;
      return;
    case 'logging':
      details.loggingTypes = change.enabledTypes;
      return;
    case 'accessConfig':
      details.authenticationMode = change.authenticationMode;
      return;
    case 'version':
      details.version = change.version;
      details.platformVersion = change.platformVersion;
      return;
    case 'seeded':
      return;
    case 'nodegroupConfig':
    case 'nodegroupVersion': {
      const nodegroup = update.nodegroupName ? details.nodegroups[update.nodegroupName] : undefined;
      if (!nodegroup) return;
      if (change.kind === 'nodegroupConfig') {
        nodegroup.minSize = change.minSize ?? nodegroup.minSize;
        nodegroup.maxSize = change.maxSize ?? nodegroup.maxSize;
        nodegroup.desiredSize = change.desiredSize ?? nodegroup.desiredSize;
        for (const key of change.removeLabels) delete nodegroup.labels[key];
        Object.assign(nodegroup.labels, change.addLabels);
      } else {
        nodegroup.version = change.version;
        nodegroup.releaseVersion = change.releaseVersion;
      }
      nodegroup.modifiedAt = now;
      return;
    }
  }
}

/** Brings one cluster up to `now`; returns undefined when it no longer exists. */
export function settleCluster(region: RegionState, cluster: ClusterRecord, now: number): ClusterRecord | undefined {
  if (cluster.deleteAt !== undefined && now >= cluster.deleteAt) {
    delete region.clusters[cluster.name];
    return undefined;
  }
  if (cluster.connector && cluster.status === 'PENDING' && now > cluster.connector.activationExpiry) cluster.status = 'FAILED';
  if (cluster.activeAt !== undefined && now >= cluster.activeAt) {
    if (cluster.status === 'CREATING') cluster.status = 'ACTIVE';
    delete cluster.activeAt;
  }
  const details = cluster.eks;
  if (details && details.updates.length > 0) {
    let pending = false;
    for (const update of details.updates) {
      if (update.status !== 'InProgress') continue;
      if (now >= update.completesAt) {
        applyUpdate(details, update, update.completesAt);
        update.status = 'Successful';
      } else if (!update.nodegroupName) {
        pending = true;
      }
    }
    for (const nodegroup of Object.values(details.nodegroups)) {
      if (nodegroup.status !== 'UPDATING') continue;
      const updates = details.updates.filter((update) => update.nodegroupName === nodegroup.name);
      if (updates.length > 0 && updates.every((update) => update.status !== 'InProgress')) nodegroup.status = 'ACTIVE';
    }
    if (!pending && cluster.status === 'UPDATING' && details.updates.some((update) => !update.nodegroupName)) cluster.status = 'ACTIVE';
  }
  return cluster;
}

export function findCluster(region: RegionState, name: string, now: number): ClusterRecord | undefined {
  const cluster = region.clusters[name];
  return cluster ? settleCluster(region, cluster, now) : undefined;
}

/** Settles every cluster of a region (for listings and quota counts). */
export function settleRegion(region: RegionState, now: number): ClusterRecord[] {
  const clusters: ClusterRecord[] = [];
  for (const cluster of Object.values(region.clusters)) {
    const settled = settleCluster(region, cluster, now);
    if (settled) clusters.push(settled);
  }
  return clusters;
}

export function inProgressUpdate(details: EksDetails, nodegroupName?: string): UpdateRecord | undefined {
  return details.updates.find((update) => update.status === 'InProgress' && update.nodegroupName === nodegroupName);
}

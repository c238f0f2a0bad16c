// Bundled list of the regions where Amazon EKS is offered, per partition. Bundled (not fetched) so that the region
// picker works offline and activation needs no network. Connector availability follows the EKS Connector FAQ:
// every commercial region, but not the China or GovCloud partitions. A region launched after this release is
// still accepted by its name's shape (resolveRegion), with a warning where it is shown.

export type PartitionId = 'aws' | 'aws-cn' | 'aws-us-gov';

export interface RegionInfo {
  readonly id: string;
  readonly name: string;
  readonly partition: PartitionId;
  /** False where `RegisterCluster` is refused: the connector is not offered in China or GovCloud. */
  readonly connectorSupported: boolean;
  /** A well-formed region name that is not in the bundled list (launched after this release, or mistyped). */
  readonly unlisted?: boolean;
}

const commercial: ReadonlyArray<[string, string]> = [
  ['us-east-1', 'US East (N. Virginia)'],
  ['us-east-2', 'US East (Ohio)'],
  ['us-west-1', 'US West (N. California)'],
  ['us-west-2', 'US West (Oregon)'],
  ['af-south-1', 'Africa (Cape Town)'],
  ['ap-east-1', 'Asia Pacific (Hong Kong)'],
  ['ap-east-2', 'Asia Pacific (Taipei)'],
  ['ap-south-1', 'Asia Pacific (Mumbai)'],
  ['ap-south-2', 'Asia Pacific (Hyderabad)'],
  ['ap-southeast-1', 'Asia Pacific (Singapore)'],
  ['ap-southeast-2', 'Asia Pacific (Sydney)'],
  ['ap-southeast-3', 'Asia Pacific (Jakarta)'],
  ['ap-southeast-4', 'Asia Pacific (Melbourne)'],
  ['ap-southeast-5', 'Asia Pacific (Malaysia)'],
  ['ap-southeast-7', 'Asia Pacific (Thailand)'],
  ['ap-northeast-1', 'Asia Pacific (Tokyo)'],
  ['ap-northeast-2', 'Asia Pacific (Seoul)'],
  ['ap-northeast-3', 'Asia Pacific (Osaka)'],
  ['ca-central-1', 'Canada (Central)'],
  ['ca-west-1', 'Canada West (Calgary)'],
  ['eu-central-1', 'Europe (Frankfurt)'],
  ['eu-central-2', 'Europe (Zurich)'],
  ['eu-west-1', 'Europe (Ireland)'],
  ['eu-west-2', 'Europe (London)'],
  ['eu-west-3', 'Europe (Paris)'],
  ['eu-south-1', 'Europe (Milan)'],
  ['eu-south-2', 'Europe (Spain)'],
  ['eu-north-1', 'Europe (Stockholm)'],
  ['il-central-1', 'Israel (Tel Aviv)'],
  ['me-south-1', 'Middle East (Bahrain)'],
  ['me-central-1', 'Middle East (UAE)'],
  ['mx-central-1', 'Mexico (Central)'],
  ['sa-east-1', 'South America (São Paulo)'],
];

const china: ReadonlyArray<[string, string]> = [
  ['cn-north-1', 'China (Beijing)'],
  ['cn-northwest-1', 'China (Ningxia)'],
];

const govCloud: ReadonlyArray<[string, string]> = [
  ['us-gov-east-1', 'AWS GovCloud (US-East)'],
  ['us-gov-west-1', 'AWS GovCloud (US-West)'],
];

function build(list: ReadonlyArray<[string, string]>, partition: PartitionId): RegionInfo[] {
  return list.map(([id, name]) => ({ id, name, partition, connectorSupported: partition === 'aws' }));
}

export const EKS_REGIONS: readonly RegionInfo[] = [
  ...build(commercial, 'aws'),
  ...build(china, 'aws-cn'),
  ...build(govCloud, 'aws-us-gov'),
];

const byId = new Map(EKS_REGIONS.map((r) => [r.id, r]));

export function findRegion(id: string): RegionInfo | undefined {
  return byId.get(id);
}

export const PARTITION_NAMES: Record<PartitionId, string> = {
  aws: 'AWS commercial',
  'aws-cn': 'AWS China',
  'aws-us-gov': 'AWS GovCloud (US)',
};

/** Partition of a region id, also for ids not in the bundled list (a region launched after this release). */
export function partitionOf(regionId: string): PartitionId {
  if (regionId.startsWith('cn-')) return 'aws-cn';
  if (regionId.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** What every AWS region name looks like ("us-west-2", "ap-southeast-7", "us-gov-east-1", "us-isob-east-1"). */
export const REGION_NAME_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/**
 * The region's info: from the bundled list, or, for a well-formed name the list does not have (a region
 * launched after this release), info derived from the name alone. Undefined for anything that is not a region name.
 */
export function resolveRegion(id: string): RegionInfo | undefined {
  const known = byId.get(id);
  if (known) return known;
  if (!REGION_NAME_PATTERN.test(id)) return undefined;
  const partition = partitionOf(id);
  // Isolated (ISO) regions are separate partitions without the connector.
  const connectorSupported = partition === 'aws' && !/-iso[a-z]?-/.test(id);
  return { id, name: 'not in the bundled region list', partition, connectorSupported, unlisted: true };
}

export interface RegionCheck {
  /** Regions to list: bundled ones, and well-formed names missing from the bundled list (marked `unlisted`). */
  readonly valid: RegionInfo[];
  /** Entries that are not region names at all. */
  readonly unknown: string[];
}

/** Splits configured region names into regions to list and entries to report (kept, never dropped). */
export function checkRegions(configured: readonly string[]): RegionCheck {
  const valid: RegionInfo[] = [];
  const unknown: string[] = [];
  const seen = new Set<string>();
  for (const raw of configured) {
    const id = raw.trim();
    if (seen.has(id)) continue;
    seen.add(id);
    const info = resolveRegion(id);
    if (info) valid.push(info);
    else unknown.push(raw);
  }
  return { valid, unknown };
}

/** A close known region for a typo ("us-west2" → "us-west-2"), to put in an error message. */
export function suggestRegion(input: string): string | undefined {
  const squashed = input.toLowerCase().replace(/[^a-z0-9]/g, '');
  const exact = EKS_REGIONS.find((r) => r.id.replace(/-/g, '') === squashed);
  if (exact) return exact.id;
  if (REGION_NAME_PATTERN.test(input)) return undefined;
  return EKS_REGIONS.find((r) => squashed.length > 3 && r.id.replace(/-/g, '').startsWith(squashed))?.id;
}

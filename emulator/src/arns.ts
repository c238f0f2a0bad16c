// ARN, partition and name rules shared by the EKS, SSM, STS and IAM handlers and by seed validation.

export const KNOWN_PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b', 'aws-iso-e', 'aws-iso-f', 'aws-eusc'] as const;

export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;
export const ACCOUNT_ID_PATTERN = /^\d{12}$/;
export const CLUSTER_NAME_PATTERN = /^[0-9A-Za-z][A-Za-z0-9\-_]*$/;
export const IAM_NAME_PATTERN = /^[\w+=,.@-]+$/;
export const IAM_PATH_PATTERN = /^\/([\u0021-\u007E]*\/)?$/;

const PARTITION_ALTERNATION = KNOWN_PARTITIONS.join('|');
const ROLE_ARN_PATTERN = new RegExp(`^arn:(${PARTITION_ALTERNATION}):iam::(\\d{12}):role(/(?:[\\u0021-\\u007E]*/)?)([\\w+=,.@-]{1,64})$`);
const PRINCIPAL_ARN_PATTERN = new RegExp(
  `^arn:(${PARTITION_ALTERNATION}):(?:iam::(\\d{12}):(?:user|role)(?:/[\\u0021-\\u007E]*)?/[\\w+=,.@-]+|iam::(\\d{12}):root|sts::(\\d{12}):assumed-role/[\\w+=,.@-]+/[\\w+=,.@-]+)$`,
);

/** The partition a region belongs to; every ARN the emulator mints uses it. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('eu-isoe-')) return 'aws-iso-e';
  if (region.startsWith('us-isof-')) return 'aws-iso-f';
  return 'aws';
}

export interface RoleArnParts {
  partition: string;
  accountId: string;
  path: string;
  name: string;
}

export function parseRoleArn(arn: string): RoleArnParts | undefined {
  const match = ROLE_ARN_PATTERN.exec(arn);
  if (!match) return undefined;
  return { partition: match[1], accountId: match[2], path: match[3], name: match[4] };
}

export function roleArn(partition: string, accountId: string, path: string, name: string): string {
  return `arn:${partition}:iam::${accountId}:role${path}${name}`;
}

/** Account of a principal ARN (user, role, root or assumed-role), or undefined when it is not one. */
export function principalAccount(arn: string): string | undefined {
  const match = PRINCIPAL_ARN_PATTERN.exec(arn);
  if (!match) return undefined;
  return match[2] ?? match[3] ?? match[4];
}

export function clusterArn(region: string, accountId: string, name: string): string {
  return `arn:${partitionOf(region)}:eks:${region}:${accountId}:cluster/${name}`;
}

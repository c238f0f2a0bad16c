// The sandbox's AWS account, as the emulator's seed. Times are relative to now so that a pending registration
// shows a live activation countdown and an old one shows "activation expired".
import type { Seed } from '../../emulator/src/seed';

export const SANDBOX_ACCOUNT = '123456789012';
export const SANDBOX_ACCESS_KEY = 'AKIASANDBOX000000001';
export const SANDBOX_SECRET_KEY = 'sandbox/secret/not+a+real+key00000000000';
export const SANDBOX_REGIONS = ['us-west-2', 'eu-west-1', 'ap-southeast-2', 'ap-northeast-1'];
/** The region where the sandbox identity may not list clusters, to show an access-denied error node. */
export const DENIED_REGION = 'ap-northeast-1';

const AGENT_ROLE = `arn:aws:iam::${SANDBOX_ACCOUNT}:role/AmazonEKSConnectorAgentRole`;
const hoursAgo = (now: Date, h: number) => new Date(now.getTime() - h * 3_600_000).toISOString();

export function sandboxSeed(now = new Date()): Seed {
  return {
    accountId: SANDBOX_ACCOUNT,
    identities: [{
      accessKeyId: SANDBOX_ACCESS_KEY,
      secretAccessKey: SANDBOX_SECRET_KEY,
      arn: `arn:aws:iam::${SANDBOX_ACCOUNT}:user/platform-engineer`,
      deny: [{ action: 'eks:ListClusters', regions: [DENIED_REGION] }, { action: 'eks:DescribeCluster', regions: [DENIED_REGION] }],
    }],
    // staging-web (UPDATING) becomes ACTIVE 90 s after start and ml-training (CREATING) after 3 min, so the view's
    // re-describe of clusters in transition can be watched.
    timings: { deregisterSeconds: 8, updateSeconds: 90, createSeconds: 180 },
    iam: { roles: [{ name: 'AmazonEKSConnectorAgentRole', trustService: 'ssm.amazonaws.com', description: 'EKS Connector agent role' }] },
    regions: {
      'us-west-2': {
        clusters: [
          {
            name: 'prod-web', version: '1.32', status: 'ACTIVE', platformVersion: 'eks.6', createdAt: '2025-03-14T09:30:00Z',
            tags: { team: 'web', env: 'prod' }, loggingTypes: ['api', 'audit'],
            nodegroups: [
              { name: 'general', instanceTypes: ['m6i.large'], minSize: 3, maxSize: 10, desiredSize: 4, labels: { workload: 'general' } },
              { name: 'spot-batch', instanceTypes: ['c6i.xlarge', 'c5.xlarge'], capacityType: 'SPOT', minSize: 0, maxSize: 20, desiredSize: 2 },
            ],
          },
          {
            name: 'staging-web', version: '1.31', status: 'UPDATING', platformVersion: 'eks.12', createdAt: '2025-06-02T14:00:00Z',
            tags: { team: 'web', env: 'staging' },
            nodegroups: [{ name: 'general', instanceTypes: ['t3.large'], minSize: 1, maxSize: 4, desiredSize: 2 }],
          },
          { name: 'rancher-edge', connector: { provider: 'RANCHER', roleArn: AGENT_ROLE, status: 'PENDING', registeredAt: hoursAgo(now, 20) }, tags: { site: 'edge-01' } },
          { name: 'onprem-dc1', connector: { provider: 'OPENSHIFT', roleArn: AGENT_ROLE, status: 'ACTIVE', registeredAt: hoursAgo(now, 24 * 40), version: '1.30' }, tags: { site: 'dc1' } },
          { name: 'gke-analytics', connector: { provider: 'GKE', roleArn: AGENT_ROLE, status: 'FAILED', registeredAt: hoursAgo(now, 24 * 5) } },
        ],
      },
      'eu-west-1': {
        clusters: [
          {
            name: 'payments', version: '1.32', status: 'ACTIVE', platformVersion: 'eks.6', createdAt: '2024-11-20T08:00:00Z',
            tags: { team: 'payments', 'cost-center': 'cc-4411' }, endpointPrivateAccess: true, endpointPublicAccess: false,
            nodegroups: [{ name: 'payments-arm', instanceTypes: ['m7g.large'], amiType: 'AL2023_ARM_64_STANDARD', minSize: 3, maxSize: 6, desiredSize: 3 }],
          },
          { name: 'aks-weu-shared', connector: { provider: 'AKS', roleArn: AGENT_ROLE, status: 'ACTIVE', registeredAt: hoursAgo(now, 24 * 90), version: '1.31' } },
          { name: 'tanzu-lab', connector: { provider: 'TANZU', roleArn: AGENT_ROLE, status: 'PENDING', registeredAt: hoursAgo(now, 67) } },
        ],
      },
      'ap-southeast-2': {
        clusters: [
          { name: 'ml-training', version: '1.33', status: 'CREATING', createdAt: hoursAgo(now, 0.2), tags: { team: 'ml' } },
          { name: 'k3s-retail-store-042', connector: { provider: 'OTHER', roleArn: AGENT_ROLE, status: 'ACTIVE', registeredAt: hoursAgo(now, 24 * 12), version: '1.29' } },
        ],
      },
      [DENIED_REGION]: { clusters: [{ name: 'tokyo-gateway', version: '1.32', status: 'ACTIVE' }] },
    },
  };
}

import assert from 'node:assert/strict';
import { checkRegions, EKS_REGIONS, findRegion, partitionOf, suggestRegion } from '../../src/core/aws/regions';

describe('regions', () => {
  it('bundles the EKS regions of all three partitions', () => {
    for (const id of ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'cn-north-1', 'us-gov-west-1']) assert.ok(findRegion(id), id);
    assert.equal(new Set(EKS_REGIONS.map((r) => r.id)).size, EKS_REGIONS.length, 'no duplicates');
  });

  it('marks China and GovCloud regions as not supporting the connector', () => {
    assert.equal(findRegion('cn-northwest-1')?.connectorSupported, false);
    assert.equal(findRegion('us-gov-east-1')?.connectorSupported, false);
    assert.equal(findRegion('us-west-2')?.connectorSupported, true);
    assert.equal(partitionOf('cn-north-1'), 'aws-cn');
    assert.equal(partitionOf('us-gov-west-1'), 'aws-us-gov');
    assert.equal(partitionOf('eu-west-1'), 'aws');
  });

  it('keeps unknown configured names separate instead of dropping them', () => {
    const result = checkRegions(['us-west-2', 'us-west2', ' eu-west-1 ', 'mars-north-1', 'us-west-2']);
    assert.deepEqual(result.valid.map((r) => r.id), ['us-west-2', 'eu-west-1']);
    assert.deepEqual(result.unknown, ['us-west2', 'mars-north-1']);
  });

  it('suggests the region a typo most likely meant', () => {
    assert.equal(suggestRegion('us-west2'), 'us-west-2');
    assert.equal(suggestRegion('EU-WEST-1'), 'eu-west-1');
    assert.equal(suggestRegion('mars-north-1'), undefined);
  });
});

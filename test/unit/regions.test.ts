import assert from 'node:assert/strict';
import { checkRegions, EKS_REGIONS, findRegion, partitionOf, resolveRegion, suggestRegion } from '../../src/core/aws/regions';

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

  it('keeps names that are not regions separate instead of dropping them', () => {
    const result = checkRegions(['us-west-2', 'us-west2', ' eu-west-1 ', 'mars-north-1', 'us-west-2', 'US-EAST-1', 'eu-west-']);
    assert.deepEqual(result.valid.map((r) => r.id), ['us-west-2', 'eu-west-1']);
    assert.deepEqual(result.unknown, ['us-west2', 'mars-north-1', 'US-EAST-1', 'eu-west-']);
  });

  it('accepts a well-formed region missing from the bundled list, marked as unlisted', () => {
    const result = checkRegions(['eu-west-1', 'ap-southeast-9', 'us-gov-north-1', 'cn-south-3']);
    assert.deepEqual(result.unknown, []);
    assert.deepEqual(result.valid.map((r) => [r.id, r.partition, r.connectorSupported, r.unlisted ?? false]), [
      ['eu-west-1', 'aws', true, false],
      ['ap-southeast-9', 'aws', true, true],
      ['us-gov-north-1', 'aws-us-gov', false, true],
      ['cn-south-3', 'aws-cn', false, true],
    ]);
    assert.equal(resolveRegion('us-isob-west-1')?.connectorSupported, false, 'isolated regions have no connector');
    assert.equal(resolveRegion('eu-west-1'), findRegion('eu-west-1'), 'bundled regions come from the list');
    assert.equal(resolveRegion('not a region'), undefined);
  });

  it('suggests the region a typo most likely meant', () => {
    assert.equal(suggestRegion('us-west2'), 'us-west-2');
    assert.equal(suggestRegion('EU-WEST-1'), 'eu-west-1');
    assert.equal(suggestRegion('mars-north-1'), undefined);
  });
});

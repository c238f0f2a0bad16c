import assert from 'node:assert/strict';
import { refreshIntervalFrom } from '../../src/core/clusters/refreshInterval';

describe('Clusters view refresh interval', () => {
  it('takes 0 (off) and whole seconds from 30 as they are, and the default when unset', () => {
    assert.deepEqual(refreshIntervalFrom(undefined), { seconds: 300 });
    assert.deepEqual(refreshIntervalFrom(0), { seconds: 0 });
    assert.deepEqual(refreshIntervalFrom(30), { seconds: 30 });
    assert.deepEqual(refreshIntervalFrom(86_400), { seconds: 86_400 });
  });

  it('raises a period under 30 s to 30 and says so', () => {
    const r = refreshIntervalFrom(5);
    assert.equal(r.seconds, 30);
    assert.equal(r.warning, 'eksConnector.refreshIntervalSeconds is 5: refreshing more often than every 30 s is not allowed; using 30. Set 0 to turn automatic refresh off, or a whole number of seconds from 30 to 86400.');
  });

  it('rounds fractions, caps at a day, and falls back to the default for what is not a period', () => {
    assert.equal(refreshIntervalFrom(45.6).seconds, 46);
    assert.match(refreshIntervalFrom(45.6).warning ?? '', /is 45\.6: not a whole number of seconds; using 46\./);
    assert.equal(refreshIntervalFrom(0.2).seconds, 30);
    assert.equal(refreshIntervalFrom(1e9).seconds, 86_400);
    for (const bad of [-1, '60', Number.NaN, true, {}]) {
      const r = refreshIntervalFrom(bad);
      assert.equal(r.seconds, 300, String(bad));
      assert.ok(r.warning?.startsWith('eksConnector.refreshIntervalSeconds is '), String(bad));
    }
  });
});

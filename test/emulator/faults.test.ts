// Fault injection seen through the real SDK clients: added latency, token-bucket throttling that the SDK classifies
// as throttling (and retries), injected 5xx errors in each service's own codes, dropped connections, and counters.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { isThrottlingError } from '@smithy/core/retry';
import { DescribeClusterCommand, EKSClient, ListClustersCommand, ServerException, ServiceUnavailableException, ThrottlingException } from '@aws-sdk/client-eks';
import { DescribeActivationsCommand, InternalServerError, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { IAMClient, ListRolesCommand, ServiceFailureException } from '@aws-sdk/client-iam';
import { emulatorClientConfig } from '../../emulator/src/client-config';
import { EmulatorControl, EmulatorControlError } from '../../emulator/src/control-client';
import { startEmulator, type RunningEmulator } from '../../emulator/src/server';
import { rejection } from '../support/rejection';


describe('emulator: fault injection', function () {
  let emulator: RunningEmulator;
  let control: EmulatorControl;

  const eks = (region = 'us-west-2', maxAttempts = 1) => new EKSClient(emulatorClientConfig(emulator.url, { region, maxAttempts }));
  const ssm = () => new SSMClient(emulatorClientConfig(emulator.url, { maxAttempts: 1 }));
  const sts = () => new STSClient(emulatorClientConfig(emulator.url, { maxAttempts: 1 }));
  const iam = () => new IAMClient(emulatorClientConfig(emulator.url, { region: 'us-east-1', maxAttempts: 1 }));


  /** The SDK retry strategy's own classification. */
  const classifiedAsThrottling = (error: unknown): boolean => isThrottlingError(error as Parameters<typeof isThrottlingError>[0]);

  async function timed(call: () => Promise<unknown>): Promise<number> {
    const started = performance.now();
    await call();
    return performance.now() - started;
  }

  before(async () => {
    emulator = await startEmulator({ seed: { regions: { 'us-west-2': { clusters: [{ name: 'prod' }] }, 'eu-west-1': { clusters: [{ name: 'dub' }] } } } });
    control = new EmulatorControl(emulator.url);
  });
  after(() => emulator.close());
  beforeEach(() => control.resetFaults());

  it('adds latency only to matching requests and counts them', async () => {
    const client = eks();
    await client.send(new ListClustersCommand({}));
    await control.setFaults({ latency: [{ service: 'eks', operation: 'ListClusters', ms: 200 }] });
    // The delay is a floor: no answer can come sooner, however loaded the machine (an upper bound would be a
    // timing test). Which requests were held is read from the emulator's counters.
    const delayed = await timed(() => client.send(new ListClustersCommand({})));
    assert.ok(delayed >= 195, `delayed ListClusters answered after ${delayed.toFixed(1)} ms`);
    await client.send(new DescribeClusterCommand({ name: 'prod' }));
    const { counters } = await control.getFaults();
    assert.equal(counters.delayed['eks:ListClusters'], 1);
    assert.equal(counters.delayed['eks:DescribeCluster'], undefined);
  });

  // The buckets refill on the emulator's clock, which these tests move forward: one token per 100 s never refills
  // on its own while a test runs, so what passes and what is throttled does not depend on the machine's speed.
  it('throttles per region and operation with a token bucket, answering EKS 429 ThrottlingException', async () => {
    await control.setFaults({ throttle: [{ service: 'eks', operation: 'ListClusters', ratePerSecond: 0.01, burst: 2 }] });
    const client = eks();
    await client.send(new ListClustersCommand({}));
    await client.send(new ListClustersCommand({}));
    const error = await rejection(client.send(new ListClustersCommand({})));
    assert.ok(error instanceof ThrottlingException, error.name);
    assert.equal(error.$metadata.httpStatusCode, 429);
    assert.equal(error.message, 'Rate exceeded');
    assert.equal(classifiedAsThrottling(error), true, 'the SDK classifies it as throttling');
    await client.send(new DescribeClusterCommand({ name: 'prod' }));
    await eks('eu-west-1').send(new ListClustersCommand({}));
    const { counters, totals } = await control.getFaults();
    assert.equal(counters.throttled['eks:ListClusters'], 1);
    assert.equal(totals.throttled, 1);
    assert.equal(counters.requests['eks:ListClusters'], 4);
  });

  it('refills the bucket at the configured rate as the emulator clock moves', async () => {
    await control.setFaults({ throttle: [{ service: 'eks', operation: 'ListClusters', ratePerSecond: 0.01, burst: 2 }] });
    const client = eks();
    await client.send(new ListClustersCommand({}));
    await client.send(new ListClustersCommand({}));
    await control.advanceClock(90);
    assert.ok((await rejection(client.send(new ListClustersCommand({})))) instanceof ThrottlingException, '0.9 tokens after 90 s');
    await control.advanceClock(11);
    await client.send(new ListClustersCommand({}));
    assert.ok((await rejection(client.send(new ListClustersCommand({})))) instanceof ThrottlingException, 'one token was added, and taken');
    await control.advanceClock(1000);
    await client.send(new ListClustersCommand({}));
    await client.send(new ListClustersCommand({}));
    assert.ok((await rejection(client.send(new ListClustersCommand({})))) instanceof ThrottlingException, 'the bucket holds at most its burst');
    assert.equal((await control.getFaults()).counters.throttled['eks:ListClusters'], 3);
  });

  it('does not take tokens for rejected requests', async () => {
    // Had the three rejected calls taken tokens, one token's worth of time would leave the bucket in debt.
    await control.setFaults({ throttle: [{ operation: 'ListClusters', ratePerSecond: 0.01, burst: 1 }] });
    const client = eks();
    await client.send(new ListClustersCommand({}));
    for (let i = 0; i < 3; i++) assert.ok((await rejection(client.send(new ListClustersCommand({})))) instanceof ThrottlingException);
    await control.advanceClock(101);
    await client.send(new ListClustersCommand({}));
    assert.equal((await control.getFaults()).counters.throttled['eks:ListClusters'], 3);
  });

  it('keeps the configured rate after a reset moves the emulator clock back', async () => {
    await control.setFaults({ throttle: [{ operation: 'ListClusters', ratePerSecond: 0.01, burst: 1 }] });
    const client = eks();
    await control.advanceClock(1000);
    await client.send(new ListClustersCommand({}));
    await control.reset();
    assert.ok((await rejection(client.send(new ListClustersCommand({})))) instanceof ThrottlingException);
    await control.advanceClock(101);
    await client.send(new ListClustersCommand({}));
  });

  it('lets the SDK retry a throttled call to success', async () => {
    await control.setFaults({ throttle: [{ operation: 'ListClusters', ratePerSecond: 0.01, burst: 1 }] });
    const client = eks('us-west-2', 4);
    // Each retry finds the clock 101 s later, so a token is back whatever the SDK's back-off was.
    let attempts = 0;
    client.middlewareStack.add((next) => async (args) => {
      if (attempts++ > 0) await control.advanceClock(101);
      return next(args);
    }, { step: 'deserialize', name: 'advanceEmulatorClockOnRetry' });
    await client.send(new ListClustersCommand({}));
    attempts = 0;
    const retried = await client.send(new ListClustersCommand({}));
    assert.deepEqual(retried.clusters, ['prod']);
    assert.equal(retried.$metadata.attempts, 2);
    assert.equal((await control.getFaults()).counters.throttled['eks:ListClusters'], 1);
  });

  it('throttles SSM with 400 ThrottlingException and STS/IAM with 400 Throttling', async () => {
    await control.setFaults({ throttle: [{ service: 'ssm', ratePerSecond: 0, burst: 0 }, { service: 'sts', ratePerSecond: 0, burst: 0 }, { service: 'iam', ratePerSecond: 0, burst: 0 }] });
    const ssmError = await rejection(ssm().send(new DescribeActivationsCommand({})));
    assert.equal(ssmError.name, 'ThrottlingException');
    assert.equal(ssmError.$metadata.httpStatusCode, 400);
    assert.equal(classifiedAsThrottling(ssmError), true);
    const stsError = await rejection(sts().send(new GetCallerIdentityCommand({})));
    assert.equal(stsError.name, 'Throttling');
    assert.equal(stsError.$metadata.httpStatusCode, 400);
    assert.equal(classifiedAsThrottling(stsError), true);
    const iamError = await rejection(iam().send(new ListRolesCommand({})));
    assert.equal(iamError.name, 'Throttling');
    assert.equal(classifiedAsThrottling(iamError), true);
    assert.deepEqual((await eks().send(new ListClustersCommand({}))).clusters, ['prod'], 'EKS is not throttled');
  });

  it('injects the next n 503s and 500s with each service\'s server error codes', async () => {
    await control.setFaults({ errors: [{ service: 'eks', operation: 'DescribeCluster', status: 503, count: 2 }] });
    const client = eks();
    for (let i = 0; i < 2; i++) {
      const error = await rejection(client.send(new DescribeClusterCommand({ name: 'prod' })));
      assert.ok(error instanceof ServiceUnavailableException, error.name);
      assert.equal(error.$metadata.httpStatusCode, 503);
    }
    assert.equal((await client.send(new DescribeClusterCommand({ name: 'prod' }))).cluster?.name, 'prod');
    assert.equal((await control.getFaults()).counters.errors['eks:DescribeCluster'], 2);

    await control.setFaults({ errors: [{ status: 500, count: 4 }] });
    const eksError = await rejection(client.send(new ListClustersCommand({})));
    assert.ok(eksError instanceof ServerException, eksError.name);
    assert.equal(eksError.$metadata.httpStatusCode, 500);
    const ssmError = await rejection(ssm().send(new DescribeActivationsCommand({})));
    assert.ok(ssmError instanceof InternalServerError, ssmError.name);
    const iamError = await rejection(iam().send(new ListRolesCommand({})));
    assert.ok(iamError instanceof ServiceFailureException, iamError.name);
    assert.equal(iamError.$metadata.httpStatusCode, 500);
    const stsError = await rejection(sts().send(new GetCallerIdentityCommand({})));
    assert.equal(stsError.$metadata.httpStatusCode, 500);
  });

  it('injects errors with a probability', async () => {
    await control.setFaults({ errors: [{ operation: 'ListClusters', status: 500, probability: 0 }] });
    for (let i = 0; i < 5; i++) await eks().send(new ListClustersCommand({}));
    await control.setFaults({ errors: [{ operation: 'ListClusters', status: 500, probability: 1 }] });
    assert.ok((await rejection(eks().send(new ListClustersCommand({})))) instanceof ServerException);
  });

  it('drops the connection without a response', async () => {
    await control.setFaults({ drop: [{ service: 'eks', operation: 'ListClusters', region: 'us-west-2', count: 1 }] });
    const error = await rejection(eks().send(new ListClustersCommand({})));
    assert.equal(error.$metadata?.httpStatusCode, undefined, 'no HTTP response arrived');
    assert.match(`${error.name} ${error.code ?? ''} ${error.message}`, /ECONNRESET|socket hang up|EPIPE/);
    assert.deepEqual((await eks().send(new ListClustersCommand({}))).clusters, ['prod']);
    assert.equal((await control.getFaults()).counters.dropped['eks:ListClusters'], 1);
  });

  it('reports, replaces and resets the fault configuration', async () => {
    const faults = { latency: [{ ms: 1 }], throttle: [{ service: 'eks', ratePerSecond: 100 }] };
    await control.setFaults(faults);
    assert.deepEqual((await control.getFaults()).faults, faults);
    await control.setFaults({ drop: [{ count: 0 }] });
    assert.deepEqual((await control.getFaults()).faults, { drop: [{ count: 0 }] });
    await control.resetFaults();
    const reset = await control.getFaults();
    assert.deepEqual(reset.faults, {});
    assert.equal(reset.totals.requests, 0);
  });

  it('refuses an invalid fault configuration, naming the field', async () => {
    for (const [faults, field] of [
      [{ errors: [{ status: 404 }] }, 'errors[0].status'],
      [{ throttle: [{ ratePerSecond: -1 }] }, 'throttle[0].ratePerSecond'],
      [{ latency: [{ ms: 10, servce: 'eks' }] }, 'latency[0].servce'],
      [{ chaos: [] }, 'chaos'],
    ] as const) {
      const error = await rejection(control.setFaults(faults as never));
      assert.ok(error instanceof EmulatorControlError);
      assert.equal(error.status, 400);
      assert.ok(error.message.includes(field), error.message);
    }
  });
});

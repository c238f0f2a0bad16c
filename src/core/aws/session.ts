// One AWS session per chosen profile: a memoised credential chain and per-region clients that share one
// keep-alive connection pool. Clients are cached by service and region, and built with maxAttempts 1 because
// callWithRetry (retry.ts) owns the retry policy.
import { EKSClient } from '@aws-sdk/client-eks';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { IAMClient } from '@aws-sdk/client-iam';
import { fromIni, fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import http from 'node:http';
import https from 'node:https';
import { configuredEndpointUrl } from './awsConfig';
import { callWithRetry } from './retry';
import { partitionOf } from './regions';

export interface AwsSessionOptions {
  /** Profile chosen in the extension; undefined = the SDK default (AWS_PROFILE, then "default", env keys). */
  readonly profile?: string;
  /** Added to the SDK user agent (`app/<id>`). */
  readonly appId?: string;
  readonly requestTimeoutMs?: number;
}

export interface CallerIdentity {
  readonly account: string;
  readonly arn: string;
  readonly userId: string;
}

type ServiceId = 'EKS' | 'SSM' | 'STS' | 'IAM';

export class AwsSession {
  readonly profile: string | undefined;
  private readonly credentials: AwsCredentialIdentityProvider;
  private readonly handler: NodeHttpHandler;
  private readonly clients = new Map<string, EKSClient | SSMClient | STSClient | IAMClient>();
  private readonly endpoints = new Map<ServiceId, Promise<string | undefined>>();
  private identity?: Promise<CallerIdentity>;

  constructor(private readonly options: AwsSessionOptions = {}) {
    this.profile = options.profile || undefined;
    this.handler = new NodeHttpHandler({
      httpAgent: new http.Agent({ keepAlive: true, maxSockets: 64 }),
      httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 64 }),
      connectionTimeout: 5_000,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
    });
    // Built on first use: the chain's inner STS client (role_arn + source_profile) must get the chosen profile's
    // endpoint, which the SDK would only look up for the profile in AWS_PROFILE.
    // A chosen profile resolves through that profile only (static keys, SSO, credential_process, role_arn), so a
    // failure reports its real cause instead of the chain's final "Could not load credentials from any providers".
    let chain: Promise<AwsCredentialIdentityProvider> | undefined;
    this.credentials = async (properties) => {
      chain ??= this.endpointFor('STS').then((endpoint) => {
        const init = { profile: this.profile, ignoreCache: true, clientConfig: { requestHandler: this.handler, ...(endpoint ? { endpoint } : {}) } };
        return this.profile ? memoize(fromIni(init)) : fromNodeProviderChain(init);
      });
      return (await chain)(properties);
    };
  }

  /** Resolves credentials once (memoised by the SDK chain); throws the SDK's error when there are none. */
  resolveCredentials(): Promise<unknown> {
    return this.credentials();
  }

  async eks(region: string): Promise<EKSClient> {
    return this.client('EKS', region, (config) => new EKSClient(config));
  }

  async ssm(region: string): Promise<SSMClient> {
    return this.client('SSM', region, (config) => new SSMClient(config));
  }

  async sts(region: string): Promise<STSClient> {
    return this.client('STS', region, (config) => new STSClient(config));
  }

  /** IAM is global: its endpoint lives in the partition's home region. */
  async iam(regionHint = 'us-east-1'): Promise<IAMClient> {
    const home = { aws: 'us-east-1', 'aws-cn': 'cn-north-1', 'aws-us-gov': 'us-gov-west-1' }[partitionOf(regionHint)];
    return this.client('IAM', home, (config) => new IAMClient(config));
  }

  /**
   * STS GetCallerIdentity, cached for the session's lifetime (the identity of a profile does not change). The request
   * is shared and bound to no caller: a caller's signal abandons only its own wait, never another caller's.
   */
  callerIdentity(region: string, signal?: AbortSignal): Promise<CallerIdentity> {
    if (!this.identity) {
      this.identity = (async () => {
        const sts = await this.sts(region);
        const out = await callWithRetry(() => sts.send(new GetCallerIdentityCommand({})), {});
        return { account: out.Account ?? '', arn: out.Arn ?? '', userId: out.UserId ?? '' };
      })();
      this.identity.catch(() => (this.identity = undefined));
    }
    return abandonOn(this.identity, signal);
  }

  dispose(): void {
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
    this.handler.destroy();
  }

  private endpointFor(service: ServiceId): Promise<string | undefined> {
    let endpoint = this.endpoints.get(service);
    if (!endpoint) {
      endpoint = configuredEndpointUrl(service, this.profile);
      this.endpoints.set(service, endpoint);
    }
    return endpoint;
  }

  private async client<C extends EKSClient | SSMClient | STSClient | IAMClient>(
    service: ServiceId,
    region: string,
    create: (config: ClientConfig) => C,
  ): Promise<C> {
    const key = `${service}:${region}`;
    const cached = this.clients.get(key);
    if (cached) return cached as C;
    const endpoint = await this.endpointFor(service);
    const client = create({
      region,
      endpoint,
      credentials: this.credentials,
      requestHandler: this.handler,
      maxAttempts: 1,
      userAgentAppId: this.options.appId,
    });
    const raced = this.clients.get(key);
    if (raced) {
      client.destroy();
      return raced as C;
    }
    this.clients.set(key, client);
    return client;
  }
}

/** `shared`, or a rejection with the signal's reason as soon as the signal aborts (`shared` keeps running). */
function abandonOn<T>(shared: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return shared;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    shared.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Caches credentials until shortly before they expire, as the default chain does. */
function memoize(provider: AwsCredentialIdentityProvider): AwsCredentialIdentityProvider {
  let current: Promise<Awaited<ReturnType<AwsCredentialIdentityProvider>>> | undefined;
  return async (properties) => {
    const cached = current && (await current.catch(() => undefined));
    if (cached && (!cached.expiration || cached.expiration.getTime() - Date.now() > 5 * 60_000)) return cached;
    current = provider(properties);
    current.catch(() => (current = undefined));
    return current;
  };
}

interface ClientConfig {
  region: string;
  endpoint?: string;
  credentials: AwsCredentialIdentityProvider;
  requestHandler: NodeHttpHandler;
  maxAttempts: number;
  userAgentAppId?: string;
}

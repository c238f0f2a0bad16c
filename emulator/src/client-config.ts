// Configuration for real AWS SDK v3 clients pointed at the emulator; spread it into `new EKSClient(...)` etc.

export interface EmulatorCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface EmulatorClientOptions {
  region?: string;
  credentials?: EmulatorCredentials;
  /** 1 to see errors without SDK retries. */
  maxAttempts?: number;
}

export interface EmulatorClientConfig {
  endpoint: string;
  region: string;
  credentials: EmulatorCredentials;
  maxAttempts?: number;
}

export const DEFAULT_TEST_CREDENTIALS: EmulatorCredentials = { accessKeyId: 'AKIAEMULATORADMIN000', secretAccessKey: 'emulator-secret' };

export function emulatorClientConfig(url: string, options: EmulatorClientOptions = {}): EmulatorClientConfig {
  return {
    endpoint: url,
    region: options.region ?? 'us-west-2',
    credentials: options.credentials ?? DEFAULT_TEST_CREDENTIALS,
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
  };
}

// The Clusters view's automatic refresh period, from a setting that a hand edit can set to anything: whole seconds,
// 0 for off, otherwise between a floor that keeps AWS from throttling the account and one day.

export const DEFAULT_REFRESH_SECONDS = 300;
export const MIN_REFRESH_SECONDS = 30;
export const MAX_REFRESH_SECONDS = 86_400;

export interface RefreshInterval {
  /** 0 = automatic refresh off. */
  readonly seconds: number;
  /** Set when the configured value could not be used as it is: what was configured and what is used instead. */
  readonly warning?: string;
}

export function refreshIntervalFrom(configured: unknown, setting = 'eksConnector.refreshIntervalSeconds'): RefreshInterval {
  if (configured === undefined || configured === null) return { seconds: DEFAULT_REFRESH_SECONDS };
  const using = (seconds: number, why: string): RefreshInterval => ({
    seconds, warning: `${setting} is ${JSON.stringify(configured)}: ${why}; using ${seconds === 0 ? '0 (off)' : `${seconds}`}. Set 0 to turn automatic refresh off, or a whole number of seconds from ${MIN_REFRESH_SECONDS} to ${MAX_REFRESH_SECONDS}.`,
  });
  if (typeof configured !== 'number' || !Number.isFinite(configured)) return using(DEFAULT_REFRESH_SECONDS, 'not a number of seconds');
  if (configured < 0) return using(DEFAULT_REFRESH_SECONDS, 'a negative period');
  if (configured === 0) return { seconds: 0 };
  const whole = Math.max(MIN_REFRESH_SECONDS, Math.min(MAX_REFRESH_SECONDS, Math.round(configured)));
  if (configured < MIN_REFRESH_SECONDS) return using(whole, `refreshing more often than every ${MIN_REFRESH_SECONDS} s is not allowed`);
  if (configured > MAX_REFRESH_SECONDS) return using(whole, `the longest period is ${MAX_REFRESH_SECONDS} s (one day)`);
  if (whole !== configured) return using(whole, 'not a whole number of seconds');
  return { seconds: configured };
}

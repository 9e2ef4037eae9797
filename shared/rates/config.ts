/**
 * Sensitivity settings for the API-rate anomaly detector. Stage parameters become Lambda
 * environment variables (`RATES_*`); this module turns them into a typed config with defaults.
 * A bad value never crashes the handler: it falls back to the default and is reported.
 */
export interface DimensionThresholds {
  /** Absolute floor: a minute below this count is never an anomaly (4 calls instead of 1 is not an incident). */
  minCount: number;
  /** Observed must be at least this multiple of the learned per-minute mean. */
  ratio: number;
  /** Observed must be at least this many standard deviations (EWMA variance + Poisson noise) above the mean. */
  zScore: number;
  /** Observed must exceed this multiple of the key's decayed peak minute (recurring jobs are not news). */
  peakRatio: number;
  /** For keys with less than `minHistoryMinutes` of history: alert only at or above this count per minute. */
  newKeyCount: number;
}

export interface RateConfig {
  principal: DimensionThresholds;
  accessKey: DimensionThresholds;
  api: DimensionThresholds;
  errors: DimensionThresholds;
  /** Minutes of history a key needs before relative change counts. */
  minHistoryMinutes: number;
  /** EWMA half-life of the per-minute mean and second moment, in minutes. */
  halfLifeMinutes: number;
  /** Half-life of the remembered peak minute, in minutes (default 7 days). */
  peakHalfLifeMinutes: number;
  /** A burst ends after this many minutes without an anomalous minute; the next one alerts again. */
  quietMinutes: number;
  /** Within a burst, alert again only when a minute reaches this multiple of the last alerted count. */
  realertGrowth: number;
  /** Minutes an event may arrive late and still count; older minutes are folded into the baseline. */
  latenessMinutes: number;
  /** Events whose eventTime is further than this ahead of the delivery time are skipped (clock skew). */
  maxFutureSkewMinutes: number;
  /** How many recent eventIDs are remembered to drop at-least-once duplicates. */
  dedupeWindow: number;
  /** DynamoDB item TTL after the last update, in days. */
  ttlDays: number;
}

const SENSITIVITY = { low: 1.5, medium: 1, high: 0.6 } as const;
export type Sensitivity = keyof typeof SENSITIVITY;

function thresholds(scale: number): Pick<RateConfig, 'principal' | 'accessKey' | 'api' | 'errors'> {
  const principal: DimensionThresholds = { minCount: 30 * scale, ratio: 4 * scale, zScore: 6 * scale, peakRatio: 1.5 * scale, newKeyCount: 300 * scale };
  return {
    principal,
    accessKey: { ...principal },
    api: { minCount: 100 * scale, ratio: 5 * scale, zScore: 6 * scale, peakRatio: 1.5 * scale, newKeyCount: 600 * scale },
    errors: { minCount: 10 * scale, ratio: 5 * scale, zScore: 5 * scale, peakRatio: 1.5 * scale, newKeyCount: 10 * scale },
  };
}

/** Defaults for a sensitivity preset (`medium` unless told otherwise). */
export function defaultRateConfig(sensitivity: Sensitivity = 'medium'): RateConfig {
  return {
    ...thresholds(SENSITIVITY[sensitivity]),
    minHistoryMinutes: 120,
    halfLifeMinutes: 60,
    peakHalfLifeMinutes: 7 * 1440,
    quietMinutes: 30,
    realertGrowth: 3,
    latenessMinutes: 10,
    maxFutureSkewMinutes: 15,
    dedupeWindow: 100_000,
    ttlDays: 14,
  };
}

export interface ParsedRateConfig {
  config: RateConfig;
  /** One line per ignored value, for the log. */
  warnings: string[];
}

const NUMBER_VARS: Array<[string, (c: RateConfig, v: number) => void]> = [
  ['RATES_MIN_CALLS_PER_MINUTE', (c, v) => { c.principal.minCount = v; c.accessKey.minCount = v; }],
  ['RATES_MIN_API_CALLS_PER_MINUTE', (c, v) => { c.api.minCount = v; }],
  ['RATES_MIN_ERRORS_PER_MINUTE', (c, v) => { c.errors.minCount = v; c.errors.newKeyCount = Math.max(c.errors.newKeyCount, v); }],
  ['RATES_RATIO', (c, v) => { for (const d of [c.principal, c.accessKey, c.api, c.errors]) d.ratio = v; }],
  ['RATES_Z_SCORE', (c, v) => { for (const d of [c.principal, c.accessKey, c.api, c.errors]) d.zScore = v; }],
  ['RATES_NEW_PRINCIPAL_CALLS_PER_MINUTE', (c, v) => { c.principal.newKeyCount = v; c.accessKey.newKeyCount = v; }],
  ['RATES_MIN_HISTORY_MINUTES', (c, v) => { c.minHistoryMinutes = v; }],
  ['RATES_HALF_LIFE_MINUTES', (c, v) => { c.halfLifeMinutes = v; }],
  ['RATES_QUIET_MINUTES', (c, v) => { c.quietMinutes = v; }],
  ['RATES_REALERT_GROWTH', (c, v) => { c.realertGrowth = v; }],
  ['RATES_LATENESS_MINUTES', (c, v) => { c.latenessMinutes = v; }],
  ['RATES_DEDUPE_WINDOW', (c, v) => { c.dedupeWindow = Math.floor(v); }],
  ['RATES_TTL_DAYS', (c, v) => { c.ttlDays = v; }],
];

/** Reads `RATES_SENSITIVITY` (low|medium|high) and the individual `RATES_*` overrides. */
export function parseRateConfig(env: Record<string, string | undefined>): ParsedRateConfig {
  const warnings: string[] = [];
  const rawSensitivity = env['RATES_SENSITIVITY']?.trim().toLowerCase();
  let sensitivity: Sensitivity = 'medium';
  if (rawSensitivity) {
    if (rawSensitivity in SENSITIVITY) sensitivity = rawSensitivity as Sensitivity;
    else warnings.push(`RATES_SENSITIVITY=${JSON.stringify(rawSensitivity)} is not low|medium|high: using medium`);
  }
  const config = defaultRateConfig(sensitivity);
  for (const [name, apply] of NUMBER_VARS) {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') continue;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) {
      warnings.push(`${name}=${JSON.stringify(raw)} is not a positive number: using the default`);
      continue;
    }
    apply(config, value);
  }
  return { config, warnings };
}

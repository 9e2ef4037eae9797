import { describe, expect, it } from 'vitest';
import { defaultRateConfig, parseRateConfig } from '../../shared/rates/config.ts';
import { isUnauthorizedError } from '../../shared/rates/keys.ts';

describe('rate config from the environment', () => {
  it('uses medium defaults when nothing is set', () => {
    const { config, warnings } = parseRateConfig({});
    expect(config).toEqual(defaultRateConfig('medium'));
    expect(warnings).toEqual([]);
  });

  it('scales thresholds with the sensitivity preset and applies overrides', () => {
    const high = parseRateConfig({ RATES_SENSITIVITY: 'HIGH', RATES_MIN_ERRORS_PER_MINUTE: '25', RATES_QUIET_MINUTES: '60' }).config;
    expect(high.principal.minCount).toBeLessThan(defaultRateConfig().principal.minCount);
    expect(high.errors.minCount).toBe(25);
    expect(high.quietMinutes).toBe(60);
  });

  it('ignores bad values with a warning instead of failing', () => {
    const { config, warnings } = parseRateConfig({ RATES_SENSITIVITY: 'paranoid', RATES_RATIO: 'abc', RATES_Z_SCORE: '-1' });
    expect(config).toEqual(defaultRateConfig());
    expect(warnings).toHaveLength(3);
  });
});

describe('CIS unauthorized-call error codes', () => {
  it('matches AccessDenied* and *UnauthorizedOperation only', () => {
    for (const code of ['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'Client.UnauthorizedOperation']) expect(isUnauthorizedError(code)).toBe(true);
    for (const code of ['ThrottlingException', 'NoSuchEntity', 'ValidationError', undefined, '']) expect(isUnauthorizedError(code)).toBe(false);
  });
});

import { type TrailwatchConfig, loadConfig } from '../../shared/config.ts';

/** The minimal environment a handler's configuration needs in tests (stage `test`, test ARNs). */
export const TEST_ENV = {
  TRAILWATCH_STAGE: 'test',
  TRAILWATCH_ALERTS_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:trailwatch-test-alerts',
  TRAILWATCH_FINDINGS_BUS_NAME: 'trailwatch-test-findings',
} as const;

/** `loadConfig` on TEST_ENV plus `extra`. */
export function testConfig(extra: Record<string, string> = {}): TrailwatchConfig {
  return loadConfig({ ...TEST_ENV, ...extra });
}

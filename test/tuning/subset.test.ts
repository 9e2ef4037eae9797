import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deployedTuningJson } from '../../shared/tuning/deployed.ts';
import { loadTuningFile } from '../../shared/tuning/load.ts';
import { readNotifyTuning, TuningSubsetError } from '../../shared/tuning/subset.ts';
import { ROOT } from '../helpers/events.ts';

describe('readNotifyTuning: the notifier reads organization and routing.teams from the packaged JSON, without Ajv or a YAML parser', () => {
  const packaged = (file: string) => deployedTuningJson(loadTuningFile(join(ROOT, file)).config);
  it.each(['trailwatch.config.yaml', 'docs/tuning-example.yaml', 'scripts/noise-org.tuning.yaml'])('reads %s, as packaged, exactly as the full loader does', (file) => {
    const full = loadTuningFile(join(ROOT, file)).config;
    const subset = readNotifyTuning(packaged(file));
    expect(subset.teams).toEqual(full.routing?.teams ?? []);
    expect(subset.organization?.accounts ?? []).toEqual(full.organization?.accounts ?? []);
  });

  it('the documented example has a team and OU paths (so the comparison above is not vacuous)', () => {
    const subset = readNotifyTuning(packaged('docs/tuning-example.yaml'));
    expect(subset.teams.map((t) => t.name)).toEqual(['platform']);
    expect(subset.organization?.accounts?.some((a) => a.ou === 'Infrastructure')).toBe(true);
  });

  it.each([
    ['{"version":1,"organization":{"accounts":[{"id":1234}]}}', /12-digit/],
    ['{"version":1,"routing":{"teams":[{"name":"a"}]}}', /slackWebhookParameter/],
    ['{"version":1,"routing":{"teams":[{"name":"a","slackWebhookParameter":"/x/y","ous":"Workloads"}]}}', /list of strings/],
    ['["just a list"]', /not a mapping/],
    ['version: 1\nrouting:\n  teams: []\n', /not JSON/],
  ])('refuses a wrong shape: %j', (text, message) => {
    expect(() => readNotifyTuning(text)).toThrow(TuningSubsetError);
    expect(() => readNotifyTuning(text)).toThrow(message);
  });
});

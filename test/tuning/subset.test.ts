import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTuningFile } from '../../shared/tuning/load.ts';
import { readNotifyTuning, TuningSubsetError } from '../../shared/tuning/subset.ts';
import { ROOT } from '../helpers/events.ts';

describe('readNotifyTuning: the notifier reads organization and routing.teams without Ajv', () => {
  it.each(['trailwatch.config.yaml', 'docs/tuning-example.yaml', 'scripts/noise-org.tuning.yaml'])('reads %s exactly as the full loader does', (file) => {
    const full = loadTuningFile(join(ROOT, file)).config;
    const subset = readNotifyTuning(readFileSync(join(ROOT, file), 'utf8'));
    expect(subset.teams).toEqual(full.routing?.teams ?? []);
    expect(subset.organization?.accounts ?? []).toEqual(full.organization?.accounts ?? []);
  });

  it('the documented example has a team and OU paths (so the comparison above is not vacuous)', () => {
    const subset = readNotifyTuning(readFileSync(join(ROOT, 'docs/tuning-example.yaml'), 'utf8'));
    expect(subset.teams.map((t) => t.name)).toEqual(['platform']);
    expect(subset.organization?.accounts?.some((a) => a.ou === 'Infrastructure')).toBe(true);
  });

  it.each([
    ['version: 1\norganization:\n  accounts:\n    - { id: 1234 }\n', /12-digit/],
    ['version: 1\nrouting:\n  teams:\n    - { name: a }\n', /slackWebhookParameter/],
    ['version: 1\nrouting:\n  teams:\n    - { name: a, slackWebhookParameter: /x/y, ous: Workloads }\n', /list of strings/],
    ['- just a list\n', /not a mapping/],
    ['version: 1\nrouting: [\n', /not YAML/],
  ])('refuses a wrong shape: %j', (text, message) => {
    expect(() => readNotifyTuning(text)).toThrow(TuningSubsetError);
    expect(() => readNotifyTuning(text)).toThrow(message);
  });
});

import { describe, expect, it } from 'vitest';
import { detections } from '../../shared/detections/index.ts';
import { silentLog } from '../../shared/log.ts';
import { OrganizationDirectory } from '../../shared/organization/directory.ts';
import { analyzeEvents } from '../../shared/pipeline/analyze.ts';
import { createLocalRouter } from '../../shared/routing/router.ts';
import type { TuningConfig } from '../../shared/tuning/types.ts';
import { readJson, EVENTS_DIR } from '../helpers/events.ts';
import { join } from 'node:path';

/**
 * A trust grant to a member account routes the same whether the account comes from the AWS
 * Organizations directory (deployed: `members`) or from the tuning file (replay --config).
 */
async function route(tuning: TuningConfig, members?: OrganizationDirectory) {
  const event = readJson(join(EVENTS_DIR, 'policy-changed', 'positive-update-trust-foreign.json'));
  const router = await createLocalRouter({ detections, novelty: false, tuning, ...(members ? { members } : {}) });
  const known = members ?? OrganizationDirectory.fromTuning(tuning.organization);
  const { findings } = await analyzeEvents([{ value: event, origin: 'test' }], { detections, enrichers: [router], log: silentLog, context: { organization: { accounts: known } } });
  expect(findings).toHaveLength(1);
  return findings[0]!;
}

describe('routing: directory members are trusted like organization.accounts', () => {
  it('routes a grant to a directory member like the same account listed in the tuning file (record), and names it', async () => {
    const fromAws = await route({ version: 1 }, new OrganizationDirectory([{ id: '444455556666', name: 'payments-prod', ouPath: [] }]));
    const fromFile = await route({ version: 1, organization: { accounts: [{ id: '444455556666', name: 'payments-prod' }] } });
    expect(fromAws.route).toBe('record');
    expect(fromAws.route).toBe(fromFile.route);
    expect(fromAws.severity).toBe(fromFile.severity);
    expect(fromAws.routeReason).toBe(fromFile.routeReason);
    expect(fromAws.routeReason).toContain('grants only to organization account payments-prod');
  });

  it('an account neither lists is foreign and is not recorded away', async () => {
    const stranger = await route({ version: 1 }, new OrganizationDirectory([{ id: '999999999999', ouPath: [] }]));
    expect(stranger.route).not.toBe('record');
    expect(stranger.title).toMatch(/other account\(s\): 444455556666/);
  });
});

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../shared/model/types.ts';
import { DynamoNoveltyStore } from '../../shared/novelty/dynamodb-store.ts';
import { emptyHours, HOURS_MIN_DAYS, HOURS_MIN_OBSERVATIONS, isHumanActor, offHoursOf, usualHours } from '../../shared/novelty/hours.ts';
import { NoveltyModel, type NoveltyVerdict } from '../../shared/novelty/model.ts';
import { MemoryNoveltyStore, type NoveltyStore } from '../../shared/novelty/store.ts';
import { startRateTable } from '../rates/dynalite.ts';

const DAY = 86_400_000;
const START = Date.UTC(2026, 10, 2); // a Monday, 00:00 UTC

/** A console-made IAM change by alice (an IAM user) at `day` days and `hour` (UTC, fractional ok) after START. */
function byAlice(day: number, hour: number, n = 0): Finding {
  return {
    detection: 'iam-identity-changes',
    severity: 'medium',
    title: 'alice changed her login profile',
    eventId: `alice-${day}-${hour}-${n}`,
    eventName: 'UpdateLoginProfile',
    eventSource: 'iam.amazonaws.com',
    time: new Date(START + day * DAY + hour * 3_600_000).toISOString(),
    account: '111122223333',
    region: 'us-east-1',
    principal: { type: 'IAMUser', name: 'alice', arn: 'arn:aws:iam::111122223333:user/alice' },
    sourceIp: '198.51.100.24',
    userAgent: 'Mozilla/5.0',
    details: {},
  };
}

/** The same change by a Terraform role's session (automation). */
function byPipeline(day: number, hour: number): Finding {
  const f = byAlice(day, hour);
  return {
    ...f,
    eventId: `tf-${day}-${hour}`,
    principal: { type: 'AssumedRole', name: `run-${day}`, arn: `arn:aws:sts::111122223333:assumed-role/terraform-apply/run-${day}`, sessionIssuerArn: 'arn:aws:iam::111122223333:role/terraform-apply' },
  };
}

/** Ten working days of alice at 09:00–16:xx UTC, three findings a day (30 observations). */
async function officeWeeks(model: NoveltyModel): Promise<void> {
  for (let day = 0; day < 10; day++) for (const [n, hour] of [9.2, 12.5, 16.7].entries()) await model.assess(byAlice(day, hour, n));
}

describe('hours model: learning, usual span, bounds', () => {
  it('means nothing before the learning period: fewer than 20 observations, or less than 7 days of them', () => {
    const busyAfternoon = { ...emptyHours(START), total: 50, counts: emptyHours(START).counts.map((_, h) => (h === 14 ? 50 : 0)) };
    expect(offHoursOf(busyAfternoon, START + 2 * DAY + 3 * 3_600_000)).toBeUndefined(); // 2 days: still learning
    expect(offHoursOf(busyAfternoon, START + HOURS_MIN_DAYS * DAY + 3 * 3_600_000)).toEqual({ hour: 3, usual: '13–16 UTC' });
    const few = { ...busyAfternoon, total: HOURS_MIN_OBSERVATIONS - 1, counts: busyAfternoon.counts.map((c) => (c > 0 ? HOURS_MIN_OBSERVATIONS - 1 : 0)) };
    expect(offHoursOf(few, START + 30 * DAY + 3 * 3_600_000)).toBeUndefined();
  });

  it('the usual span is the shortest stretch holding 90% of the activity, plus an hour each side; it may wrap midnight', () => {
    const counts = new Array<number>(24).fill(0);
    counts[22] = 10;
    counts[23] = 10;
    counts[0] = 10;
    counts[1] = 9;
    counts[12] = 1; // one stray lunchtime action (under 10%): not part of the routine
    const night = { counts, total: 40, firstSeenMs: START };
    expect(usualHours(night, START + 10 * DAY)).toEqual({ start: 21, end: 3 });
    expect(offHoursOf(night, START + 10 * DAY + 2.5 * 3_600_000)).toBeUndefined(); // 02:30 inside the margin
    expect(offHoursOf(night, START + 10 * DAY + 12 * 3_600_000)).toEqual({ hour: 12, usual: '21–03 UTC' });
  });

  it('someone active around the clock has no off-hours', () => {
    const everywhere = { counts: new Array<number>(24).fill(2), total: 48, firstSeenMs: START };
    expect(usualHours(everywhere, START + 10 * DAY)).toBeUndefined();
  });

  it('a DST change moves a fixed local routine by one UTC hour: the margin absorbs it', async () => {
    const model = new NoveltyModel(new MemoryNoveltyStore());
    await officeWeeks(model); // 09–17 UTC core
    // After the clocks change, the same 08:10 local start is 08:10 UTC: inside the 08–18 span.
    expect((await model.assess(byAlice(11, 8.2))).offHours).toBeUndefined();
  });

  it('automation is never judged by the hour and keeps no hours profile', async () => {
    const store = new MemoryNoveltyStore();
    const model = new NoveltyModel(store);
    for (let day = 0; day < 10; day++) for (const hour of [9, 12, 16]) await model.assess(byPipeline(day, hour));
    const before = store.stats.writes;
    expect((await model.assess(byPipeline(11, 3))).offHours).toBeUndefined();
    expect(store.stats.writes - before).toBe(1); // the change-kind profile only, no hours write
    expect(isHumanActor(byPipeline(0, 0))).toBe(false);
    expect(isHumanActor(byAlice(0, 0))).toBe(true);
    const sso = { ...byPipeline(0, 0), principal: { type: 'AssumedRole', name: 'alice@example.com', sessionIssuerArn: 'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123' } };
    expect(isHumanActor(sso)).toBe(true);
  });
});

/** One scenario for both stores: they must give the same verdicts. */
async function scenario(store: NoveltyStore): Promise<Array<NoveltyVerdict['offHours']>> {
  const model = new NoveltyModel(store);
  const out: Array<NoveltyVerdict['offHours']> = [];
  out.push((await model.assess(byAlice(0, 3))).offHours); // first ever action at 03:00: nothing learned yet
  await officeWeeks(model);
  out.push((await model.assess(byAlice(12, 3.1))).offHours); // learned: 03:00 is off-hours
  out.push((await model.assess(byAlice(12, 10))).offHours); // usual hour
  out.push((await model.assess(byAlice(12, 18.5))).offHours); // 18:30, past the margin
  return out;
}

describe('hours model on both stores', () => {
  let table: Awaited<ReturnType<typeof startRateTable>>;
  beforeAll(async () => {
    table = await startRateTable('novelty-hours');
  });
  afterAll(async () => table?.stop());

  it('learns office hours and flags 03:00 once learned, with the usual span in words (memory store)', async () => {
    expect(await scenario(new MemoryNoveltyStore())).toEqual([undefined, { hour: 3, usual: '08–18 UTC' }, undefined, { hour: 18, usual: '08–18 UTC' }]);
  });

  it('the DynamoDB store (dynalite) gives the same verdicts as the memory store', async () => {
    const memory = await scenario(new MemoryNoveltyStore());
    const dynamo = await scenario(new DynamoNoveltyStore(table.client as DynamoDBClient, 'novelty-hours'));
    expect(dynamo).toEqual(memory);
  });
});

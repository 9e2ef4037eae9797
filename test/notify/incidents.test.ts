import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateSlackMessage } from '../../shared/alerts/block-kit.ts';
import { renderChatbot } from '../../shared/alerts/chatbot.ts';
import type { Alert } from '../../shared/alerts/format.ts';
import { renderEmail } from '../../shared/alerts/sns-message.ts';
import { renderSlack } from '../../shared/alerts/slack.ts';
import { detect as credentialsElsewhere } from '../../shared/detections/instance-credentials-elsewhere.ts';
import type { Finding, Severity } from '../../shared/model/types.ts';
import { SlackChannel, type AlertChannel } from '../../shared/notify/channels.ts';
import { readNotifyConfig } from '../../shared/notify/config.ts';
import type { DeadLetter, DeadLetterQueue } from '../../shared/notify/dead-letter.ts';
import { DedupStore } from '../../shared/notify/dedup-store.ts';
import { DigestStore } from '../../shared/notify/digest-store.ts';
import { decideIncident, DynamoIncidentStore, incidentKey, MemoryIncidentStore, type IncidentState } from '../../shared/notify/incidents.ts';
import { MemoryFollowUps, planLocalAlerts } from '../../shared/notify/local.ts';
import { emptyStats } from '../../shared/notify/metrics.ts';
import { Notifier, type NotifyLog } from '../../shared/notify/notifier.ts';
import { DEFAULT_RETRY, type RetryPolicy } from '../../shared/notify/webhook.ts';
import { sampleEvent } from '../helpers/events.ts';
import { notifierTables } from './dynalite.ts';
import { FakeSlack } from './fake-slack.ts';

const FAST: RetryPolicy = { ...DEFAULT_RETRY, maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 10, timeoutMs: 30_000, retryTimeoutMs: 30_000 };
const noSleep = async (): Promise<void> => undefined;
const T0 = Date.parse('2026-11-20T10:34:23Z');
const HOUR = 3_600_000;
const quiet: NotifyLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** The real detection on its positive sample: stolen EC2 instance-role credentials used from the internet (high, routed page). */
function stolen(i: number, at: number, overrides: Partial<Finding> = {}): Finding {
  const [base] = credentialsElsewhere(sampleEvent('instance-credentials-elsewhere', 'positive-used-from-internet'));
  if (!base) throw new Error('instance-credentials-elsewhere did not fire on its positive sample');
  return { ...base, eventId: `evt-storm-${String(i).padStart(5, '0')}`, time: new Date(at).toISOString(), route: 'page', routeReason: 'high severity', ...overrides };
}

/** Another principal: the same kind of theft on a different instance role. */
function otherRole(f: Finding): Finding {
  return { ...f, principal: { ...f.principal, arn: 'arn:aws:sts::111122223333:assumed-role/batch-instance-role/i-0ffee0000000000aa', sessionIssuerArn: 'arn:aws:iam::111122223333:role/batch-instance-role' } };
}

class MemoryDlq implements DeadLetterQueue {
  letters: DeadLetter[] = [];
  fail = false;
  async send(letter: DeadLetter): Promise<void> {
    if (this.fail) throw new Error('SQS unavailable');
    this.letters.push(JSON.parse(JSON.stringify(letter)) as DeadLetter);
  }
}

describe('incident decision (pure)', () => {
  it('pages the first, follows up the rest, pages a severity rise and a new incident after a quiet window', () => {
    let state: IncidentState | undefined;
    const step = (sev: Severity, key: string, t: number) => {
      const d = decideIncident(state, sev, key, t, HOUR);
      state = d.state;
      return d.page ? `page:${d.reason}` : 'follow-up';
    };
    expect(step('high', 'a', T0)).toBe('page:new');
    expect(step('high', 'b', T0 + 1000)).toBe('follow-up');
    expect(step('medium', 'c', T0 + 2000)).toBe('follow-up');
    expect(step('critical', 'd', T0 + 3000)).toBe('page:escalated');
    expect(step('critical', 'e', T0 + 4000)).toBe('follow-up');
    // The window runs from the LAST page-worthy finding: 59 min after 'e' is still the same incident …
    expect(step('high', 'f', T0 + 4000 + 59 * 60_000)).toBe('follow-up');
    // … and a retry of the finding that paged pages again (its delivery failed), with the same reason.
    expect(step('critical', 'd', T0 + 3000)).toBe('page:escalated');
    // More than an hour of quiet: a new incident, even at a lower severity.
    expect(step('high', 'g', T0 + 4000 + 59 * 60_000 + HOUR + 1)).toBe('page:reopened');
  });
});

describe('one incident, one page (notifier on dynalite + fake Slack)', () => {
  let slack: FakeSlack;
  let dlq: MemoryDlq;
  let now: number;
  const tables = notifierTables('inc-');
  let notifier: Notifier;

  beforeEach(async () => {
    slack = await new FakeSlack().start();
    dlq = new MemoryDlq();
    now = T0;
    notifier = lambdaNotifier(new SlackChannel(async () => slack.url, FAST, { sleep: noSleep }));
  });

  /** The notifier as the Lambda wires it: claims, digests and incidents in DynamoDB (this test's tables). */
  function lambdaNotifier(channel: AlertChannel): Notifier {
    return new Notifier({
      channels: [channel],
      deadLetters: dlq,
      dedup: new DedupStore(tables.db.client, tables.dedup),
      digests: new DigestStore(tables.db.client, tables.digest),
      incidents: new DynamoIncidentStore(tables.db.client, tables.dedup),
      incidentWindowMs: HOUR,
      clock: () => now,
      log: quiet,
    });
  }
  afterEach(async () => slack.stop());

  /** Runs the scheduled flush once a minute up to `until`. */
  async function flushUntil(until: number): Promise<void> {
    const stats = emptyStats();
    for (let t = Math.ceil(now / 60_000) * 60_000; t <= until; t += 60_000) {
      now = t;
      await notifier.flush(stats);
    }
  }

  it('a storm of 1,000 page-worthy findings of one stolen role: 1 page, then one follow-up digest per window, nothing dropped, each claimed once', async () => {
    // 1,000 API calls with the stolen credentials over ~8 min (one every 0.5 s), in SNS-sized batches of 10.
    const storm = Array.from({ length: 1000 }, (_, i) => stolen(i, T0 + i * 500));
    const stats = emptyStats();
    for (let i = 0; i < storm.length; i += 10) {
      now = T0 + i * 500 + 200;
      await notifier.handle(storm.slice(i, i + 10), stats);
    }
    expect(stats).toMatchObject({ alertsSent: 1, followUps: 999, grouped: 999, deliveriesFailed: 0 });
    expect(slack.delivered()).toHaveLength(1);
    expect(JSON.stringify(slack.delivered()[0])).toContain(storm[0]!.eventId);

    await flushUntil(T0 + 20 * 60_000);
    const messages = slack.delivered();
    const followUps = messages.slice(1);
    // 500 s of storm over 2-minute windows aligned to the clock: 5 windows, one message each.
    expect(followUps).toHaveLength(5);
    let total = 0;
    for (const m of followUps) {
      expect(validateSlackMessage(m)).toEqual([]);
      const text = String(m['text']);
      const header = JSON.stringify((m['blocks'] as unknown[])[0]);
      expect(header).toMatch(/HIGH: \d+ more since the 10:34:23 UTC page: GetCallerIdentity by i-0a1b2c3d4e5f67890/);
      expect(text).toContain('follow-ups of the incident paged at 2026-11-20 10:34:23 UTC (HIGH): not paged again');
      total += Number(/(\d+) more instance-credentials-elsewhere findings/.exec(text)?.[1] ?? 'NaN');
      expect(JSON.stringify(m)).toContain('cloudtrailv2/home?region=us-east-1#/events/evt-storm-'); // first few in full, with links
    }
    expect(total).toBe(999);
    // SNS redelivers the whole storm: every finding was claimed once, nothing is sent again.
    const again = await notifier.handle(storm);
    expect(again.duplicates).toBe(1000);
    await flushUntil(now + 10 * 60_000);
    expect(slack.delivered()).toHaveLength(6);
  }, 120_000);

  it('a different principal opens its own incident and pages', async () => {
    const a = stolen(1, T0);
    const b = otherRole(stolen(2, T0 + 1000));
    await notifier.handle([a, stolen(3, T0 + 500), b, otherRole(stolen(4, T0 + 1500))]);
    const pages = slack.delivered();
    expect(pages).toHaveLength(2);
    expect(JSON.stringify(pages[0])).toContain(a.eventId);
    expect(JSON.stringify(pages[1])).toContain(b.eventId);
    expect(incidentKey(a)).not.toBe(incidentKey(b));
  });

  it('a higher severity pages at once and says why; the same severity again does not', async () => {
    await notifier.handle([stolen(1, T0), stolen(2, T0 + 1000)]);
    now = T0 + 5000;
    const rise = stolen(3, T0 + 5000, { severity: 'critical' });
    const stats = await notifier.handle([rise, stolen(4, T0 + 6000, { severity: 'critical' })]);
    expect(stats).toMatchObject({ alertsSent: 1, followUps: 1 });
    const pages = slack.delivered();
    expect(pages).toHaveLength(2);
    const second = JSON.stringify(pages[1]);
    expect(second).toContain(rise.eventId);
    expect(second).toContain("Paged again: the severity rose above this incident's HIGH page at 2026-11-20 10:34:23 UTC");
    expect(validateSlackMessage(pages[1]!)).toEqual([]);
  });

  it('after the window has been quiet, the next page-worthy finding is a new incident and pages', async () => {
    await notifier.handle([stolen(1, T0)]);
    now = T0 + 30 * 60_000;
    await notifier.handle([stolen(2, now)]);
    expect(slack.delivered()).toHaveLength(1);
    // 59 min after the last one: still the same incident (the window runs from the last finding, not the page).
    now = T0 + 89 * 60_000;
    await notifier.handle([stolen(3, now)]);
    expect(slack.delivered()).toHaveLength(1);
    // 61 min of quiet: a new page, saying so.
    now = T0 + 89 * 60_000 + 61 * 60_000;
    const later = stolen(4, now);
    await notifier.handle([later]);
    const pages = slack.delivered();
    expect(pages).toHaveLength(2);
    expect(JSON.stringify(pages[1])).toContain(later.eventId);
    expect(JSON.stringify(pages[1])).toContain('New incident: the previous one of this detection and principal (HIGH page at 2026-11-20 10:34:23 UTC)');
  });

  it('a failed page is dead-lettered as before; with the DLQ down too, the retry pages it again (not a follow-up)', async () => {
    slack.decide = () => ({ status: 500 });
    const first = stolen(1, T0);
    const stats = await notifier.handle([first, stolen(2, T0 + 1000)]);
    expect(stats).toMatchObject({ deadLettered: 1, followUps: 1 });
    expect(dlq.letters).toHaveLength(1);
    expect(dlq.letters[0]!.alert).toMatchObject({ kind: 'finding', finding: { eventId: first.eventId } });

    // Another key, and SQS is down as well: the invocation fails, the claim is released …
    dlq.fail = true;
    const other = otherRole(stolen(3, T0 + 2000));
    await expect(notifier.handle([other])).rejects.toThrow('SQS unavailable');
    // … and Lambda's retry, with Slack back, pages that same finding (it opened the incident).
    slack.decide = undefined;
    dlq.fail = false;
    now = T0 + 62_000;
    const retry = await notifier.handle([other]);
    expect(retry).toMatchObject({ alertsSent: 1, followUps: 0 });
    expect(slack.delivered().filter((m) => JSON.stringify(m).includes(other.eventId))).toHaveLength(1);
  });

  it('concurrent invocations (the notifier runs up to 5 at once) agree on one page per incident', async () => {
    const store = new DynamoIncidentStore(tables.db.client, tables.dedup);
    for (let round = 0; round < 3; round++) {
      const key = `incident|instance-credentials-elsewhere|111122223333|role-${round}`;
      const decisions = await Promise.all(Array.from({ length: 5 }, (_, i) => store.decide(key, 'high', `k${round}-${i}`, T0 + i, HOUR)));
      expect(decisions.filter((d) => d.page)).toHaveLength(1);
    }
  });

  it('same answer in Lambda (DynamoDB) and replay (memory): the same pages, with the same notes, and the same follow-up groups', async () => {
    // A mixed day: two principals, a severity rise, a quiet hour, a record-only and a digest finding.
    const seq: Finding[] = [];
    for (let i = 0; i < 40; i++) seq.push(stolen(i, T0 + i * 7_000));
    seq.push(otherRole(stolen(100, T0 + 20_000)));
    seq.push(stolen(101, T0 + 300_000, { severity: 'critical' }));
    for (let i = 0; i < 10; i++) seq.push(otherRole(stolen(200 + i, T0 + 310_000 + i * 1000)));
    seq.push(stolen(300, T0 + 300_000 + 2 * HOUR));
    seq.push(stolen(301, T0 + 300_000 + 2 * HOUR + 100, { route: 'record' }));
    const local = await planLocalAlerts(seq, quiet, { incidentWindowMs: HOUR });

    const delivered: Alert[] = [];
    const lambda = lambdaNotifier({ name: 'capture', send: async (alert) => void delivered.push(alert) });
    const stats = emptyStats();
    for (const f of seq) {
      now = Date.parse(f.time);
      await lambda.handle([f], stats);
      await lambda.flush(stats);
    }
    now += 10 * 60_000;
    await lambda.flush(stats);

    const pages = (alerts: Alert[]) => alerts.filter((a) => a.kind === 'finding').map((a) => (a.kind === 'finding' ? `${a.finding.eventId}:${a.incident?.reason ?? 'new'}` : ''));
    const groups = (alerts: Alert[]) =>
      alerts
        .filter((a) => a.kind === 'digest')
        .map((a) => (a.kind === 'digest' ? `${a.digest.principal}|${a.digest.incident?.pagedAt}|${a.digest.firstTime}|${a.digest.count}` : ''))
        .sort();
    expect(pages(delivered)).toEqual(pages(local.alerts));
    expect(pages(local.alerts)).toEqual(['evt-storm-00000:new', 'evt-storm-00100:new', 'evt-storm-00101:escalated', 'evt-storm-00300:reopened']);
    expect(groups(delivered)).toEqual(groups(local.alerts));
    expect(stats.followUps).toBe(local.stats.followUps);
    expect(stats.recorded).toBe(1);
    expect(local.stats.followUps).toBe(39 + 10);
  });
});

describe('incident memory store and rendering', () => {
  it('the memory store keeps state per key across calls', async () => {
    const store = new MemoryIncidentStore();
    expect((await store.decide('k', 'high', 'a', T0, HOUR)).page).toBe(true);
    expect((await store.decide('k', 'high', 'b', T0 + 1, HOUR)).page).toBe(false);
    expect((await store.decide('other', 'high', 'c', T0 + 2, HOUR)).page).toBe(true);
  });

  it('follow-ups and re-pages render in every channel, in valid Block Kit, saying what they are', () => {
    const f = stolen(1, T0);
    const followUp: Alert = {
      kind: 'digest',
      digest: { detection: f.detection, principal: f.principal.arn ?? f.principal.name, severity: 'high', count: 1, samples: [f], firstTime: f.time, lastTime: f.time, incident: { pagedAt: '2026-11-20T10:30:00.000Z', severity: 'high' } },
    };
    const slack = renderSlack(followUp);
    expect(validateSlackMessage(slack)).toEqual([]);
    expect(JSON.stringify(slack.blocks[0])).toContain('HIGH: 1 more since the 10:30:00 UTC page: GetCallerIdentity by i-0a1b2c3d4e5f67890');
    expect(JSON.stringify(slack.blocks[1])).toContain('1 more instance-credentials-elsewhere findings by arn:aws:sts::111122223333:assumed-role/web-instance-role/i-0a1b2c3d4e5f67890 at 2026-11-20 10:34:23 UTC, follow-ups of the incident paged at 2026-11-20 10:30:00 UTC (HIGH)');
    expect(JSON.stringify(slack)).toContain('Trailwatch follow-up');
    expect(renderEmail(followUp).subject).toMatch(/^\[HIGH\] 1 more since the 10:30:00 UTC page: .{0,40} by i-0a1b2c3d4e5f67890 in 111122223333$/);
    expect(renderEmail(followUp).subject.length).toBeLessThanOrEqual(100);
    expect(renderEmail(followUp).text).toContain('follow-ups of the incident paged at 2026-11-20 10:30:00 UTC (HIGH): not paged again');
    // Chatbot markdown: brackets are escaped and `:30:` cannot become an emoji code.
    expect(renderChatbot(followUp).content.title).toContain('HIGH: 1 more since the 10∶30:00 UTC page: GetCallerIdentity');

    const rise: Alert = { kind: 'finding', finding: { ...f, severity: 'critical' }, incident: { reason: 'escalated', previousSeverity: 'high', previousPagedAt: '2026-11-20T10:30:00.000Z' } };
    const note = "Paged again: the severity rose above this incident's HIGH page at 2026-11-20 10:30:00 UTC";
    expect(validateSlackMessage(renderSlack(rise))).toEqual([]);
    expect(JSON.stringify(renderSlack(rise))).toContain(note);
    expect(renderEmail(rise).text).toContain(note);
    expect(renderChatbot(rise).content.description).toContain(note);
  });

  it('fails open: an unreachable incident store pages every page-worthy finding; an unwritable follow-up group fails the invocation', async () => {
    const sent: Alert[] = [];
    const channel = { name: 'capture', send: async (alert: Alert) => void sent.push(alert) };
    const down = new Notifier({
      channels: [channel],
      deadLetters: new MemoryDlq(),
      incidents: { decide: async () => Promise.reject(new Error('DynamoDB unavailable')) },
      followUps: new MemoryFollowUps(),
      log: quiet,
    });
    expect(await down.handle([stolen(1, T0), stolen(2, T0 + 1000)])).toMatchObject({ alertsSent: 2, followUps: 0 });
    const full = new Notifier({
      channels: [channel],
      deadLetters: new MemoryDlq(),
      incidents: new MemoryIncidentStore(),
      followUps: { addFollowUp: async () => Promise.reject(new Error('digest table unavailable')) },
      log: quiet,
    });
    await expect(full.handle([stolen(3, T0), stolen(4, T0 + 1000)])).rejects.toThrow('digest table unavailable');
    expect(sent).toHaveLength(3);
  });

  it('TRAILWATCH_INCIDENT_WINDOW_SECONDS: default 1 h, 300..86400, anything else reported and the default kept', () => {
    expect(readNotifyConfig({}).incidentWindowMs).toBe(HOUR);
    expect(readNotifyConfig({ TRAILWATCH_INCIDENT_WINDOW_SECONDS: '300' }).incidentWindowMs).toBe(300_000);
    expect(readNotifyConfig({ TRAILWATCH_INCIDENT_WINDOW_SECONDS: '86400' }).incidentWindowMs).toBe(86_400_000);
    for (const bad of ['299', '86401', '1.5', 'hour']) {
      const c = readNotifyConfig({ TRAILWATCH_INCIDENT_WINDOW_SECONDS: bad });
      expect(c.incidentWindowMs).toBe(HOUR);
      expect(c.problems.join('\n')).toContain(`TRAILWATCH_INCIDENT_WINDOW_SECONDS='${bad}' is not an integer in 300..86400`);
    }
  });
});

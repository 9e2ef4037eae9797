import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../shared/alerts/format.ts';
import { detect as consoleAuthFailures } from '../../shared/detections/console-auth-failures.ts';
import { detect as credentialsElsewhere } from '../../shared/detections/instance-credentials-elsewhere.ts';
import { detect as kmsKeyDeletion } from '../../shared/detections/kms-key-deletion.ts';
import { detect as rootSignin } from '../../shared/detections/root-signin.ts';
import { detect as securityGroupChanges } from '../../shared/detections/security-group-changes.ts';
import type { Finding, Route, TrailEvent } from '../../shared/model/types.ts';
import { DedupStore } from '../../shared/notify/dedup-store.ts';
import { DigestStore } from '../../shared/notify/digest-store.ts';
import { DynamoIncidentStore } from '../../shared/notify/incidents.ts';
import { MessageCounter } from '../../shared/notify/messages.ts';
import { emptyStats } from '../../shared/notify/metrics.ts';
import { Notifier, type NotifyLog } from '../../shared/notify/notifier.ts';
import { sampleEvent } from '../helpers/events.ts';
import { startDynalite, type LocalDynamo } from './dynalite.ts';

/**
 * The message counter (back-test, noise bench) against the real notifier: the deployed wiring
 * (claims, digests and incidents in DynamoDB on dynalite, the scheduled flush) with a memory
 * channel and a fake clock, over one realistic stream. Both must send the same messages: same
 * number, same kind, each opened by the same finding.
 */

const quiet: NotifyLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
const S = 1000;
const MIN = 60 * S;
/** 23:20 UTC, so the stream crosses midnight (two daily summaries). */
const T0 = Date.parse('2026-11-20T23:20:00Z');
/** Receipt lag: the notifier's clock runs this far behind the event time. */
const LAG = 400;
const IMMEDIATE = ['kms-key-deletion'];

function base(detect: (e: TrailEvent) => Finding[], folder: string, name: string): Finding {
  const [f] = detect(sampleEvent(folder, name));
  if (!f) throw new Error(`${folder} did not fire on ${name}`);
  return f;
}

const stolenBase = base(credentialsElsewhere, 'instance-credentials-elsewhere', 'positive-used-from-internet');
const sgBase = base(securityGroupChanges, 'security-group-changes', 'positive-ssh-from-office');
const authBase = base(consoleAuthFailures, 'console-auth-failures', 'positive-iam-user-failure');
const rootBase = base(rootSignin, 'root-signin', 'positive-success-no-mfa');
const kmsBase = base(kmsKeyDeletion, 'kms-key-deletion', 'positive-schedule-deletion');

let n = 0;
/** A finding of `b` at `at`, with a fresh eventID and the given route (`undefined`: none, the notifier's severity rule decides). */
function at(b: Finding, t: number, route: Route | undefined, overrides: Partial<Finding> = {}): Finding {
  n += 1;
  const { route: _r, routeReason: _rr, ...rest } = b;
  return { ...rest, eventId: `evt-${String(n).padStart(5, '0')}`, time: new Date(t).toISOString(), ...(route ? { route, routeReason: 'test' } : {}), ...overrides };
}

const otherRole = (f: Finding): Finding => ({ ...f, principal: { ...f.principal, arn: 'arn:aws:sts::111122223333:assumed-role/batch-instance-role/i-0ffee0000000000aa', sessionIssuerArn: 'arn:aws:iam::111122223333:role/batch-instance-role' } });

/** One arrival: the finding and when the notifier receives it. */
interface Arrival {
  finding: Finding;
  receivedAt: number;
}

function stream(): Arrival[] {
  const arrivals: Arrival[] = [];
  const add = (f: Finding, receivedAt = Date.parse(f.time) + LAG) => arrivals.push({ finding: f, receivedAt });
  // A storm: 300 calls with stolen instance credentials, one a second for 5 min (windows 23:20, 23:22, 23:24), routed page.
  const storm = Array.from({ length: 300 }, (_, i) => at(stolenBase, T0 + i * S, 'page'));
  storm.forEach((f) => add(f));
  // A severity rise in the middle of the storm: pages again, later storm findings follow it up.
  add(at(stolenBase, T0 + 150 * S + 500, 'page', { severity: 'critical' }));
  // The same theft on another role: its own incident (a page and one follow-up).
  add(at(otherRole(stolenBase), T0 + 60 * S, 'page'));
  add(at(otherRole(stolenBase), T0 + 61 * S, 'page'));
  // SNS redelivers a storm finding 10 minutes late: the claim drops it.
  add(storm[5] as Finding, T0 + 10 * MIN);
  // Digests across a window boundary: 23:29:50 and 23:30:10 are two digests; 23:31:00 joins the second.
  add(at(sgBase, T0 + 9 * MIN + 50 * S, 'digest'));
  add(at(sgBase, T0 + 10 * MIN + 10 * S, 'digest'));
  add(at(sgBase, T0 + 11 * MIN, 'digest'));
  // A digest group of one (sent as a plain alert by the flush) and a record-only finding.
  add(at(authBase, T0 + 12 * MIN, 'digest'));
  add(at(authBase, T0 + 12 * MIN + 5 * S, 'record'));
  // Without a route: critical pages, immediateDetections page, the rest is digested.
  add(at(rootBase, T0 + 13 * MIN, undefined, { severity: 'critical' }));
  add(at(kmsBase, T0 + 14 * MIN, undefined, { severity: 'medium' }));
  add(at(sgBase, T0 + 14 * MIN + 30 * S, undefined, { severity: 'high' }));
  // Summary findings on both sides of midnight: two daily summaries.
  add(at(authBase, T0 + 25 * MIN, 'summary', { severity: 'low' }));
  add(at(sgBase, T0 + 30 * MIN, 'summary', { severity: 'low' }));
  add(at(sgBase, T0 + 45 * MIN, 'summary', { severity: 'low' }));
  // A quiet gap: the stolen role again 61 min after its storm's last finding re-opens the incident; two more follow it up.
  const reopen = T0 + 299 * S + 61 * MIN;
  for (let i = 0; i < 3; i++) add(at(stolenBase, reopen + i * 20 * S, 'page'));
  return arrivals.sort((a, b) => a.receivedAt - b.receivedAt);
}

/** What one message is: its kind (a page with its reason) and the finding that opened it. */
function describeAlert(alert: Alert, phase: 'handle' | 'flush'): string {
  if (alert.kind === 'finding') return phase === 'handle' ? `page:${alert.incident?.reason ?? 'new'}:${alert.finding.eventId}` : `digest:${alert.finding.eventId}`;
  const d = alert.digest;
  const first = d.samples[0]?.eventId ?? '?';
  if (d.summary) return `summary:${first}`;
  return `${d.incident ? 'follow-up' : 'digest'}:${first}`;
}

describe('the message counter sends what the notifier sends', () => {
  let db: LocalDynamo;
  beforeAll(async () => {
    db = await startDynalite();
    await db.createTable('msg-dedup');
    await db.createTable('msg-digest');
  });
  afterAll(async () => db.stop());

  it('a storm, a severity rise, digests across a window boundary, a redelivery, unrouted findings, two daily summaries and a quiet gap', async () => {
    const arrivals = stream();
    let now = T0;
    let phase: 'handle' | 'flush' = 'handle';
    const sent: string[] = [];
    const notifier = new Notifier({
      channels: [{ name: 'memory', send: async (alert) => void sent.push(describeAlert(alert, phase)) }],
      deadLetters: { send: async () => undefined },
      dedup: new DedupStore(db.client, 'msg-dedup'),
      digests: new DigestStore(db.client, 'msg-digest'),
      incidents: new DynamoIncidentStore(db.client, 'msg-dedup'),
      immediateDetections: IMMEDIATE,
      clock: () => now,
      log: quiet,
    });
    const counter = new MessageCounter({ immediateDetections: IMMEDIATE });
    const counted: string[] = [];
    const stats = emptyStats();
    let lastFlush = T0;
    const flushAt = async (t: number) => {
      now = t;
      phase = 'flush';
      await notifier.flush(stats);
      phase = 'handle';
      lastFlush = t;
    };
    // Batches of up to 10 arrivals within 1 s (as SNS hands them over), received at the batch's last arrival; the flush runs each minute.
    for (let i = 0; i < arrivals.length; ) {
      const first = (arrivals[i] as Arrival).receivedAt;
      let j = i + 1;
      while (j < arrivals.length && j - i < 10 && (arrivals[j] as Arrival).receivedAt - first < S) j += 1;
      const batch = arrivals.slice(i, j);
      i = j;
      const receivedAt = (batch.at(-1) as Arrival).receivedAt;
      if (receivedAt - lastFlush >= MIN) await flushAt(receivedAt);
      now = receivedAt;
      await notifier.handle(
        batch.map((a) => a.finding),
        stats,
      );
      for (const { finding } of batch) {
        const d = counter.count(finding, receivedAt);
        if (d.opens) counted.push(`${d.opens}${d.opens === 'page' ? `:${d.reason}` : ''}:${finding.eventId}`);
      }
    }
    await flushAt(T0 + 2 * 86_400_000);

    expect(stats.duplicates).toBe(1);
    expect(stats.recorded).toBe(1);
    expect([...counted].sort()).toEqual([...sent].sort());
    const kinds = (xs: string[]) => xs.reduce<Record<string, number>>((acc, x) => ({ ...acc, [x.split(':')[0] as string]: (acc[x.split(':')[0] as string] ?? 0) + 1 }), {});
    // Pages: the storm, its severity rise, the other role, the unrouted critical and immediate findings, the re-opened incident.
    // Follow-ups: storm windows 23:20, 23:22 under the first page, 23:22, 23:24 under the rise; the other role; the re-opened incident.
    // Digests: two across the boundary, the group of one, the unrouted high finding. Summaries: 2026-11-20 and 2026-11-21.
    expect(kinds(sent)).toEqual({ page: 6, 'follow-up': 6, digest: 4, summary: 2 });
    expect(counter.totals).toEqual({ page: 6, 'follow-up': 6, digest: 4, summary: 2 });
    expect(counted.filter((c) => c.startsWith('page:')).map((c) => c.split(':')[1])).toEqual(['new', 'new', 'escalated', 'new', 'new', 'reopened']);
  }, 120_000);
});

import { describe, expect, it } from 'vitest';
import type { Finding, Route } from '../../shared/model/types.ts';
import { backtest, formatBacktest } from '../../shared/routing/backtest.ts';

function f(time: string, route: Route, detection = 'policy-changed', role = 'terraform-apply', extra: Partial<Finding> = {}): Finding {
  return {
    detection,
    severity: 'medium',
    title: 't',
    eventId: `${time}-${route}-${detection}-${role}`,
    eventName: 'PutRolePolicy',
    eventSource: 'iam.amazonaws.com',
    time,
    account: '111122223333',
    region: 'us-east-1',
    principal: { type: 'AssumedRole', name: 's', arn: `arn:aws:sts::111122223333:assumed-role/${role}/s`, sessionIssuerArn: `arn:aws:iam::111122223333:role/${role}` },
    details: {},
    route,
    ...extra,
  };
}

describe('back-test summary', () => {
  it('counts pages, digest messages per detection+principal window, one summary a day, and quiet days in between', () => {
    const findings = [
      f('2026-11-02T09:00:00.000Z', 'page', 'root-signin', 'x'),
      f('2026-11-02T10:00:00.000Z', 'digest'),
      f('2026-11-02T10:01:00.000Z', 'digest'), // same window: same digest message
      f('2026-11-02T10:05:00.000Z', 'digest'), // window closed: a second message
      f('2026-11-02T10:05:30.000Z', 'digest', 'security-group-changes'), // other detection: its own digest
      f('2026-11-02T11:00:00.000Z', 'summary'),
      f('2026-11-02T12:00:00.000Z', 'summary'), // one summary message a day
      f('2026-11-02T13:00:00.000Z', 'record', 'kms-key-deletion', 'y', { suppressed: { id: 's', reason: 'r', owner: 'o', expires: '2027-01-01' } }),
      // 2026-11-03 has nothing; 2026-11-04:
      f('2026-11-04T08:00:00.000Z', 'summary'),
    ];
    const s = backtest(findings, { digestWindowSeconds: 120 });
    expect(s.days.map((d) => [d.day, d.pages, d.slackMessages])).toEqual([
      ['2026-11-02', 1, 5],
      ['2026-11-04', 0, 1],
    ]);
    expect(s.days[0]?.routes).toEqual({ page: 1, digest: 4, summary: 2, record: 1 });
    expect(s.pagesPerDay).toBe(0.33); // 1 page over 3 calendar days
    expect(s.slackMessagesPerDay).toBe(2);
    expect(s.afterFirstDay).toEqual({ pagesPerDay: 0, slackMessagesPerDay: 1 });
    expect(s.suppressed).toBe(1);
    expect(s.topDetections[0]).toEqual({ name: 'root-signin', alerts: 1, pages: 1 });
    expect(s.topDetections[1]).toEqual({ name: 'policy-changed', alerts: 3, pages: 0 });
    expect(s.topPrincipals.map((p) => p.name)).toEqual(['arn:aws:iam::111122223333:role/x', 'arn:aws:iam::111122223333:role/terraform-apply']);
    const text = formatBacktest(s);
    expect(text).toMatch(/pages\/day 0\.33, Slack messages\/day 2 \(after the first day: 0 pages\/day, 1 Slack messages\/day\), 1 suppressed/);
    expect(text).toMatch(/top noise by detection:\n\s+1 alerts\s+1 pages {2}root-signin/);
  });

  it('counts pages as the notifier sends them: one per incident, follow-ups one message per window, a severity rise or a quiet hour pages again', () => {
    const stolen = (time: string, extra: Partial<Finding> = {}) => f(time, 'page', 'instance-credentials-elsewhere', 'web-instance-role', { severity: 'high', ...extra });
    const findings = [
      ...Array.from({ length: 300 }, (_, i) => stolen(new Date(Date.parse('2026-11-02T09:00:00.000Z') + i * 1000).toISOString())), // 5 minutes of calls
      stolen('2026-11-02T09:06:00.000Z', { severity: 'critical' }), // worse: pages
      f('2026-11-02T09:06:30.000Z', 'page', 'instance-credentials-elsewhere', 'batch-instance-role', { severity: 'high' }), // another principal: pages
      stolen('2026-11-02T10:30:00.000Z'), // 84 min of quiet for this role: a new incident
    ];
    const s = backtest(findings, { digestWindowSeconds: 120 });
    expect(s.days[0]?.routes.page).toBe(303);
    // 4 pages; follow-ups of the first page in 3 windows (09:00, 09:02, 09:04).
    expect(s.days.map((d) => [d.pages, d.slackMessages])).toEqual([[4, 7]]);
    expect(s.topDetections[0]).toEqual({ name: 'instance-credentials-elsewhere', alerts: 303, pages: 4 });
    expect(backtest(findings, { digestWindowSeconds: 120, incidentWindowSeconds: 86_400 }).days[0]?.pages).toBe(3);
  });

  it('digest and follow-up windows are aligned to the clock and keyed by the principal label, as the notifier groups them', () => {
    const session = (time: string, name: string) =>
      f(time, 'digest', 'policy-changed', 'terraform-apply', { eventId: `${time}-${name}`, principal: { type: 'AssumedRole', name, arn: `arn:aws:sts::111122223333:assumed-role/terraform-apply/${name}`, sessionIssuerArn: 'arn:aws:iam::111122223333:role/terraform-apply' } });
    const findings = [
      session('2026-11-02T10:01:50.000Z', 'run-1'), // window 10:00–10:02
      session('2026-11-02T10:02:10.000Z', 'run-1'), // 20 s later but across the boundary: a second digest
      session('2026-11-02T10:03:50.000Z', 'run-1'), // same window as the previous one: no new message
      session('2026-11-02T10:03:55.000Z', 'run-2'), // another session of the same role: its own digest (the notifier keys by the session ARN)
      session('2026-11-02T10:03:55.000Z', 'run-2'), // a redelivery of the same finding: the notifier's claim drops it
    ];
    const s = backtest(findings, { digestWindowSeconds: 120 });
    expect(s.days.map((d) => [d.pages, d.slackMessages])).toEqual([[0, 3]]);
    // The actor (the role) is still the noise source; the duplicate is no alert.
    expect(s.topPrincipals).toEqual([{ name: 'arn:aws:iam::111122223333:role/terraform-apply', alerts: 4, pages: 0 }]);
  });

  it('an empty replay costs nothing', () => {
    const s = backtest([]);
    expect(s).toMatchObject({ days: [], pagesPerDay: 0, slackMessagesPerDay: 0, topDetections: [], topPrincipals: [] });
  });
});

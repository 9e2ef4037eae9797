import { describe, expect, it } from 'vitest';
import { detections, getDetection } from '../../shared/detections/index.ts';
import type { Finding } from '../../shared/model/types.ts';
import { createLocalRouter } from '../../shared/routing/router.ts';
import { sampleEvent } from '../helpers/events.ts';
import { asRole, oneFinding } from '../routing/helpers.ts';

const ssm = getDetection('ssm-remote-access');

/** Routes findings in order through one zero-configuration router whose novelty model learns as it goes. */
async function route(findings: Finding[]): Promise<Finding[]> {
  const router = await createLocalRouter({ detections, novelty: true });
  return router.enrich(findings);
}

/** The same shell command again at `iso`, from `ip`, as a new event (a new session for a role). */
const again = (f: Finding, iso: string, ip: string, n: number): Finding => ({
  ...f,
  eventId: `${f.eventId}-${n}`,
  time: iso,
  sourceIp: ip,
  principal: f.principal.sessionIssuerArn ? { ...f.principal, name: `run-${n}`, arn: f.principal.arn?.replace(/[^/]+$/, `run-${n}`) } : f.principal,
});

describe('ssm-remote-access severity: a person or an automation role', () => {
  it('a person running a shell document or opening a session is high; an automation role medium; other documents low', () => {
    expect(ssm?.detect(sampleEvent('ssm-remote-access', 'positive-send-shell-command')).map((f) => [f.severity, f.details['humanSession']])).toEqual([['high', true]]);
    expect(ssm?.detect(sampleEvent('ssm-remote-access', 'positive-start-session')).map((f) => f.severity)).toEqual(['high']);
    expect(ssm?.detect(sampleEvent('ssm-remote-access', 'positive-patch-baseline-by-automation')).map((f) => f.severity)).toEqual(['low']);
  });
});

describe('ssm-remote-access through zero-configuration routing (the issue-12 example)', () => {
  it('the usual automation role\'s SendCommand never pages: digest the first time, the daily summary once routine', async () => {
    const first = await oneFinding('ssm-remote-access', 'positive-send-shell-command', (_env, detail) => asRole(detail, 'ssm-maintenance'));
    expect(first.severity).toBe('medium');
    const day = (d: number) => `2026-11-2${d}T02:15:00Z`;
    const runs = [first, ...[1, 2, 3, 4].map((d) => again(first, day(d), first.sourceIp ?? '', d))];
    const routed = await route(runs);
    expect(routed.map((f) => f.route)).toEqual(['digest', 'summary', 'summary', 'summary', 'summary']);
    expect(routed.at(-1)?.routeReason).toMatch(/routine: same actor, network, user agent and region/);
  });

  it('the same command by a person pages the first time and from a new network at 03:00; from the usual network it is a digest', async () => {
    const usual = '198.51.100.24';
    const first = { ...(await oneFinding('ssm-remote-access', 'positive-send-shell-command')), sourceIp: usual };
    expect(first.principal.arn).toBe('arn:aws:iam::111122223333:user/alice');
    const routed = await route([
      first,
      again(first, '2026-11-21T10:05:00Z', usual, 1),
      again(first, '2026-11-22T03:00:00Z', usual, 2),
      again(first, '2026-11-23T03:00:00Z', '203.0.113.50', 3),
    ]);
    expect(routed.map((f) => f.route)).toEqual(['page', 'digest', 'digest', 'page']);
    expect(routed[3]?.routeReason).toMatch(/novel: new network 203\.0\.113\.0\/24 → page$/);
    // Two days of history are still the hours model's learning period: 03:00 says nothing yet.
    expect(routed[2]?.routeReason).toMatch(/routine: .* → digest$/);
    expect(routed[2]?.routeReason).not.toMatch(/usual hours/);
  });
});

describe('ssm-remote-access and the hours model (issue 12: "a human at 03:00 from a new network is a page")', () => {
  const usual = '198.51.100.24';
  /** Ten working days of `first` at 09:xx–16:xx UTC from the usual network, then `tail`. */
  const history = (first: Finding): Finding[] => {
    const out: Finding[] = [];
    for (let d = 0; d < 10; d++) for (const [i, hh] of ['09:10', '13:40', '16:20'].entries()) out.push(again(first, `2026-11-${String(10 + d).padStart(2, '0')}T${hh}:00Z`, usual, d * 3 + i));
    return out;
  };

  it('a person: 03:00 from a new network pages saying why; 03:00 from the usual network is a digest saying why; their usual hour is a digest', async () => {
    const first = { ...(await oneFinding('ssm-remote-access', 'positive-send-shell-command')), sourceIp: usual, time: '2026-11-09T10:00:00Z' };
    const routed = await route([
      first,
      ...history(first),
      again(first, '2026-11-21T03:05:00Z', '203.0.113.50', 100),
      again(first, '2026-11-22T03:05:00Z', usual, 101),
      again(first, '2026-11-23T11:00:00Z', usual, 102),
    ]);
    const [newNetworkAt3, usualNetworkAt3, usualHour] = routed.slice(-3);
    expect(newNetworkAt3?.route).toBe('page');
    expect(newNetworkAt3?.routeReason).toMatch(/novel: new network 203\.0\.113\.0\/24; outside this actor's usual hours 08–18 UTC \(at 03:xx UTC\) → page$/);
    expect(usualNetworkAt3?.route).toBe('digest');
    expect(usualNetworkAt3?.routeReason).toMatch(/outside this actor's usual hours 08–18 UTC .*routine: .* → digest$/);
    expect(usualHour?.route).toBe('digest');
    expect(usualHour?.routeReason).not.toMatch(/usual hours/);
  });

  it('the usual automation role: never a page at any hour, and never judged by the hour', async () => {
    const first = { ...(await oneFinding('ssm-remote-access', 'positive-send-shell-command', (_env, detail) => asRole(detail, 'ssm-maintenance'))), sourceIp: usual, time: '2026-11-09T10:00:00Z' };
    const at3 = [0, 1, 2, 3].map((d) => again(first, `2026-11-2${d}T03:05:00Z`, usual, 200 + d));
    const fromElsewhereAt3 = again(first, '2026-11-24T03:05:00Z', '203.0.113.50', 300);
    const routed = await route([first, ...history(first), ...at3, fromElsewhereAt3]);
    expect(routed.filter((f) => f.route === 'page')).toEqual([]);
    expect(routed.some((f) => /usual hours/.test(f.routeReason ?? ''))).toBe(false);
    expect(routed.at(-1)?.route).toBe('digest'); // a new network for the role is still news, not a page
  });
});

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
    // The hour alone decides nothing: 03:00 from the usual network is the digest (routing has no time-of-day model).
    expect(routed[2]?.routeReason).toMatch(/routine: .* → digest$/);
  });
});

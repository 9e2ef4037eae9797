import { describe, expect, it } from 'vitest';
import { parseHeartbeat } from '../../shared/heartbeat/beat.ts';
import { FORWARDER_RESUMED, FORWARDER_SILENT, StaticExpectedAccounts, judge, runCheck, type SilenceOptions } from '../../shared/heartbeat/check.ts';
import { MemoryHeartbeatStore } from '../../shared/heartbeat/store.ts';
import { beatEnvelope } from './beats.ts';

const MIN = 60_000;
const T0 = Date.parse('2026-12-02T00:00:00Z');
const CENTRAL = '111122223333';
const A = '444455556666';
const B = '777788889999';
const C = '123456789012';

describe('parseHeartbeat', () => {
  it('reads the member account, region and fire time from the forwarded scheduled event', () => {
    expect(parseHeartbeat(beatEnvelope(A, 'eu-west-1', T0))).toEqual({ ok: true, beat: { account: A, region: 'eu-west-1', timeMs: T0 } });
  });

  it('skips, with a reason, anything that is not a well-formed heartbeat', () => {
    const good = beatEnvelope(A, 'eu-west-1', T0);
    const cases: Array<[unknown, RegExp]> = [
      [null, /not a JSON object/],
      [[good], /not a JSON object/],
      [{ ...good, 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.iam' }, /not a scheduled event/],
      [{ ...good, account: '4444' }, /12-digit/],
      [{ ...good, account: 444455556666 }, /12-digit/],
      [{ ...good, region: 'EU West' }, /region/],
      [{ ...good, time: 'yesterday' }, /time/],
      [{ ...good, time: undefined }, /time/],
    ];
    for (const [event, reason] of cases) {
      const r = parseHeartbeat(event);
      expect(r.ok, JSON.stringify(event)).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(reason);
    }
  });
});

describe('judge', () => {
  const ok = (lastSeenMs: number) => ({ account: A, region: 'eu-west-1', lastSeenMs, status: 'ok' as const });
  it('calls a pair silent only once more than the threshold passed since its last heartbeat', () => {
    expect(judge([ok(T0)], T0 + 20 * MIN, 20)).toEqual([]);
    expect(judge([ok(T0)], T0 + 20 * MIN + 1, 20)).toMatchObject([{ from: 'ok', to: 'silent', sinceMs: T0, neverHeard: false }]);
  });
  it('reports a silent pair back once a heartbeat is recent again, and not while it stays quiet', () => {
    const silent = { ...ok(T0), status: 'silent' as const, statusSinceMs: T0 + 25 * MIN };
    expect(judge([silent], T0 + 40 * MIN, 20)).toEqual([]);
    expect(judge([{ ...silent, lastSeenMs: T0 + 38 * MIN }], T0 + 40 * MIN, 20)).toMatchObject([{ from: 'silent', to: 'ok', sinceMs: T0 + 38 * MIN }]);
  });
  it('counts an expected pair never heard from from when it was first expected', () => {
    const pending = { account: C, region: 'eu-west-1', expectedSinceMs: T0, status: 'ok' as const };
    expect(judge([pending], T0 + 10 * MIN, 20)).toEqual([]);
    expect(judge([pending], T0 + 21 * MIN, 20)).toMatchObject([{ to: 'silent', neverHeard: true }]);
  });
});

describe('runCheck over a realistic timeline (beats every 5 minutes, a check every 5 minutes)', () => {
  const options: SilenceOptions = { silenceMinutes: 20, regions: ['us-east-1', 'eu-west-1'], home: { account: CENTRAL, region: 'us-east-1' } };

  async function simulate(opts: { minutes: number; beats: (account: string, region: string, minute: number) => boolean; expected?: string[]; pairs: Array<[string, string]> }) {
    const store = new MemoryHeartbeatStore();
    const findings: Array<{ minute: number; detection: string; account: string; region: string; regions: unknown; title: string }> = [];
    for (let minute = 0; minute <= opts.minutes; minute += 5) {
      // Each beat lands 20-40 s after its schedule fired (EventBridge delivery), before the check.
      for (const [account, region] of opts.pairs) if (opts.beats(account, region, minute)) await store.record(account, region, T0 + minute * MIN + 30_000);
      const r = await runCheck(store, new StaticExpectedAccounts(opts.expected ?? []), options, T0 + minute * MIN + 60_000);
      for (const f of r.findings) findings.push({ minute, detection: f.detection, account: f.account, region: f.region, regions: f.details['regions'], title: f.title });
    }
    return { store, findings };
  }

  it('stays quiet while every pair beats, including a single late or lost beat', async () => {
    const { findings } = await simulate({
      minutes: 120,
      pairs: [[A, 'eu-west-1'], [A, 'us-east-1'], [B, 'eu-west-1']],
      // One beat of A/eu-west-1 lost at minute 40 and two at 80-85: under the 20-minute threshold.
      beats: (account, region, minute) => !(account === A && region === 'eu-west-1' && [40, 80, 85].includes(minute)),
    });
    expect(findings).toEqual([]);
  });

  it('reports an account whose forwarders stopped once, naming both regions, and once more when they are back', async () => {
    const { findings, store } = await simulate({
      minutes: 150,
      pairs: [[A, 'eu-west-1'], [A, 'us-east-1'], [B, 'eu-west-1']],
      // B keeps beating; A stops at minute 30 (StackSet instance deleted) and comes back at minute 100.
      beats: (account, _region, minute) => account !== A || minute < 30 || minute >= 100,
    });
    expect(findings.map((f) => [f.minute, f.detection, f.account, f.regions])).toEqual([
      // Last beat at 25:30; the check at 46:00 is the first more than 20 minutes later (20.5 minutes: "21").
      [45, FORWARDER_SILENT, A, ['eu-west-1', 'us-east-1']],
      [100, FORWARDER_RESUMED, A, ['eu-west-1', 'us-east-1']],
    ]);
    expect(findings[0]!.title).toBe(`Forwarder silent: no heartbeat from account ${A} in 2 regions (eu-west-1, us-east-1) for 21 minutes`);
    expect((await store.list()).every((p) => p.status === 'ok')).toBe(true);
  });

  it('expects the organization accounts in every StackSet region except the central home region, and reports one never heard from', async () => {
    const { findings, store } = await simulate({
      minutes: 40,
      pairs: [[A, 'eu-west-1'], [A, 'us-east-1'], [CENTRAL, 'eu-west-1']],
      beats: () => true,
      expected: [A, C, CENTRAL],
    });
    const keys = (await store.list()).map((p) => `${p.account}/${p.region}`).sort();
    // No CENTRAL/us-east-1: the member template forwards nothing in the central home region.
    expect(keys).toEqual([`${C}/eu-west-1`, `${C}/us-east-1`, `${CENTRAL}/eu-west-1`, `${A}/eu-west-1`, `${A}/us-east-1`].sort());
    expect(findings.map((f) => [f.minute, f.detection, f.account, f.regions])).toEqual([[25, FORWARDER_SILENT, C, ['eu-west-1', 'us-east-1']]]);
    expect(findings[0]!.title).toMatch(/^No forwarder heartbeat ever from account 123456789012 in 2 regions/);
  });

  it('lets only one of two overlapping check runs report a silence', async () => {
    const store = new MemoryHeartbeatStore();
    await store.record(A, 'eu-west-1', T0);
    const now = T0 + 30 * MIN;
    const [x, y] = await Promise.all([runCheck(store, new StaticExpectedAccounts([]), options, now), runCheck(store, new StaticExpectedAccounts([]), options, now)]);
    expect(x.findings.length + y.findings.length).toBe(1);
    expect(x.lost + y.lost).toBe(1);
  });

  it('undoes its transitions on revert, so the next run reports the same silence again', async () => {
    const store = new MemoryHeartbeatStore();
    await store.record(A, 'eu-west-1', T0);
    const first = await runCheck(store, new StaticExpectedAccounts([]), options, T0 + 30 * MIN);
    expect(first.findings).toHaveLength(1);
    await first.revert();
    const second = await runCheck(store, new StaticExpectedAccounts([]), options, T0 + 35 * MIN);
    expect(second.findings.map((f) => f.eventId)).toEqual(first.findings.map((f) => f.eventId));
  });

  it('builds a finding that names the account and region and is never routine', async () => {
    const store = new MemoryHeartbeatStore();
    await store.record(A, 'eu-west-1', T0);
    const [f] = (await runCheck(store, new StaticExpectedAccounts([]), options, T0 + 30 * MIN)).findings;
    expect(f).toMatchObject({ detection: FORWARDER_SILENT, severity: 'high', account: A, region: 'eu-west-1', eventSource: 'trailwatch.heartbeat', details: { regions: ['eu-west-1'], pairs: [{ region: 'eu-west-1', lastHeartbeat: '2026-12-02T00:00:00.000Z' }] } });
    expect(f!.inherentRisk).toBeTruthy();
  });
});

describe('the silence finding as an alert', () => {
  it('renders the account and regions and links to no CloudTrail event or principal (it is not a CloudTrail event)', async () => {
    const { slackFindingMessage } = await import('../../shared/alerts/slack.ts');
    const store = new MemoryHeartbeatStore();
    await store.record(A, 'eu-west-1', T0);
    await store.record(A, 'us-east-2', T0);
    const [f] = (await runCheck(store, new StaticExpectedAccounts([]), { silenceMinutes: 20, regions: [], home: { account: CENTRAL, region: 'us-east-1' } }, T0 + 25 * MIN)).findings;
    const text = JSON.stringify(slackFindingMessage({ ...f!, route: 'page', routeReason: 'high → page' }));
    expect(text).toContain('forwarder silent in eu-west-1, us-east-2');
    expect(text).toContain(A);
    expect(text).not.toContain('cloudtrailv2');
  });
});

describe('expected accounts from the Organizations directory', () => {
  it('expects ACTIVE and declared accounts, not suspended or closing ones, and follows the directory as it changes', async () => {
    const { DirectoryExpectedAccounts } = await import('../../shared/heartbeat/check.ts');
    const { CachedDirectory } = await import('../../shared/organization/store.ts');
    let now = T0;
    let accounts = [
      { id: '111111111111', status: 'ACTIVE', ouPath: [] },
      { id: '222222222222', status: 'SUSPENDED', ouPath: [] },
      { id: '333333333333', status: 'PENDING_CLOSURE', ouPath: [] },
    ];
    const store = { get: async () => ({ accounts, readAt: new Date(now).toISOString(), source: 'organizations' as const }), put: async () => ({ bytes: 0 }) };
    const expected = new DirectoryExpectedAccounts(new CachedDirectory(store, { now: () => now }), ['444444444444']);
    expect([...(await expected.accounts())].sort()).toEqual(['111111111111', '444444444444']);

    // A new account joins: the check expects it once the directory is re-read (10-minute cache).
    accounts = [...accounts, { id: '555555555555', status: 'ACTIVE', ouPath: [] }];
    expect(await expected.accounts()).not.toContain('555555555555');
    now += 11 * MIN;
    expect(await expected.accounts()).toContain('555555555555');

    // The new account never sends a beat: after the threshold it is reported silent in each expected region.
    const hb = new MemoryHeartbeatStore();
    const opts = { silenceMinutes: 20, regions: ['eu-west-1'], home: { account: CENTRAL, region: 'us-east-1' } };
    await runCheck(hb, expected, opts, now);
    const later = await runCheck(hb, expected, opts, now + 25 * MIN);
    expect(later.findings.map((f) => f.account).sort()).toEqual(['111111111111', '444444444444', '555555555555']);
  });
});

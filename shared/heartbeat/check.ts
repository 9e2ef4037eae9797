import type { Finding } from '../model/types.ts';
import { pairKey, type HeartbeatStore, type PairState, type PairStatus } from './store.ts';

/**
 * The scheduled silence check (docs/organization.md "Heartbeat"). Every member forwarder puts a
 * heartbeat on the central bus every 5 minutes; the recorder keeps the newest per (account,
 * region). A pair is *silent* when nothing was heard from it for longer than the threshold
 * (default 20 minutes, four missed beats): one `forwarder-silent` finding per account, naming
 * every region that went silent in that run, routed like any finding (high: pages). When a silent
 * pair is heard from again, one `forwarder-resumed` finding ("back") per account.
 *
 * Which pairs are expected: every pair heard from before, plus the organization's accounts x the
 * StackSet's regions (an `ExpectedAccounts` source), minus the central account's home region,
 * where the template forwards nothing. An expected pair never heard from is silent once the
 * threshold has passed since the check first expected it (a new account whose StackSet instance
 * failed, or the management account, where a service-managed StackSet never deploys).
 */

export const FORWARDER_SILENT = 'forwarder-silent';
export const FORWARDER_RESUMED = 'forwarder-resumed';
/** Detection ids of the heartbeat check (tuning files may name them: shared/routing/deployed.ts). */
export const HEARTBEAT_DETECTION_IDS = [FORWARDER_SILENT, FORWARDER_RESUMED] as const;

/** The member template's heartbeat interval (scripts/member-template.ts `rate(5 minutes)`). */
export const BEAT_MINUTES = 5;
/** Below two beats a single late delivery would page. */
export const MIN_SILENCE_MINUTES = 2 * BEAT_MINUTES;
export const DEFAULT_SILENCE_MINUTES = 4 * BEAT_MINUTES;

/**
 * Where the organization's account ids come from. Today: the `organizationAccounts` stage
 * parameter. Wiring point for the Organizations directory reader (issue 14, org-directory): an
 * implementation that returns the cached `ListAccounts` ids (ACTIVE accounts only) plugs in here,
 * in functions/heartbeat.ts `check`.
 */
export interface ExpectedAccounts {
  accounts(): Promise<readonly string[]>;
}

/** A fixed list (the stage parameter, or a test). */
export class StaticExpectedAccounts implements ExpectedAccounts {
  constructor(private readonly ids: readonly string[]) {}
  async accounts(): Promise<readonly string[]> {
    return this.ids;
  }
}

/** What the directory source needs of the organization directory (shared/organization's CachedDirectory). */
export interface DirectorySource {
  refresh(): Promise<{ accounts(): ReadonlyArray<{ id: string; status?: string }> }>;
}

/**
 * The organization's accounts from the Organizations directory (refreshed per run, cached by the
 * directory itself), plus the declared ones (stage parameter). Accounts Organizations reports as
 * SUSPENDED or PENDING_CLOSURE are not expected to send heartbeats; an account without a status
 * (declared in the tuning file) is.
 */
export class DirectoryExpectedAccounts implements ExpectedAccounts {
  constructor(
    private readonly directory: DirectorySource,
    private readonly declared: readonly string[] = [],
  ) {}
  async accounts(): Promise<readonly string[]> {
    const members = (await this.directory.refresh()).accounts().filter((a) => a.status === undefined || a.status === 'ACTIVE');
    return [...new Set([...this.declared, ...members.map((a) => a.id)])];
  }
}

export interface SilenceOptions {
  silenceMinutes: number;
  /** The StackSet's regions: each expected account is expected in each ([] = only pairs heard from before). */
  regions: readonly string[];
  /** The central stack's own account and region: its template forwards nothing there. */
  home: { account: string; region: string };
}

export interface Transition {
  pair: PairState;
  from: PairStatus;
  to: PairStatus;
  /** The last heartbeat (or, never heard from, when the pair was first expected), epoch ms. */
  sinceMs: number;
  neverHeard: boolean;
}

/** Pure: which pairs change status at `nowMs`. */
export function judge(pairs: readonly PairState[], nowMs: number, silenceMinutes: number): Transition[] {
  const limit = silenceMinutes * 60_000;
  const out: Transition[] = [];
  for (const pair of pairs) {
    const reference = pair.lastSeenMs ?? pair.expectedSinceMs;
    if (reference === undefined) continue;
    const quiet = nowMs - reference > limit;
    if (pair.status === 'ok' && quiet) out.push({ pair, from: 'ok', to: 'silent', sinceMs: reference, neverHeard: pair.lastSeenMs === undefined });
    else if (pair.status === 'silent' && !quiet && pair.lastSeenMs !== undefined) {
      out.push({ pair, from: 'silent', to: 'ok', sinceMs: pair.lastSeenMs, neverHeard: false });
    }
  }
  return out;
}

const SILENT_RUNBOOK =
  "Trailwatch is blind in these regions of this account: its CloudTrail events no longer reach the central detections. Check in that account and region that the rule <stack>-forward-management-events and <stack>-forwarder-heartbeat exist and are enabled, that the StackSet instance still exists (CloudFormation StackSets console, the account's stack instance status), and that CloudTrail still logs there. A disabled or deleted forwarder that nobody in your team changed is tampering: investigate the account's CloudTrail log in S3 for DisableRule, DeleteRule, DeleteStack or StopLogging. An account that left the organization stops being expected 30 days after its last heartbeat.";
const RESUMED_RUNBOOK = 'Heartbeats arrive again. Replay the account\'s CloudTrail archive for the silent period (`trailwatch replay`) to run the detections on the events that were not forwarded.';

const iso = (ms: number): string => new Date(ms).toISOString();
const minutesBetween = (a: number, b: number): number => Math.max(0, Math.round((b - a) / 60_000));

/** One finding per account and direction, naming every region that changed in this run. */
export function transitionFindings(transitions: readonly Transition[], nowMs: number, silenceMinutes: number): Finding[] {
  const groups = new Map<string, Transition[]>();
  for (const t of transitions) {
    const key = `${t.to}\u0000${t.pair.account}`;
    const list = groups.get(key) ?? [];
    list.push(t);
    groups.set(key, list);
  }
  const out: Finding[] = [];
  for (const list of groups.values()) {
    list.sort((a, b) => a.pair.region.localeCompare(b.pair.region));
    const first = list[0] as Transition;
    const account = first.pair.account;
    const regions = list.map((t) => t.pair.region);
    const silent = first.to === 'silent';
    const where = regions.length === 1 ? regions[0] : `${regions.length} regions (${regions.join(', ')})`;
    const earliest = Math.min(...list.map((t) => t.sinceMs));
    const never = list.every((t) => t.neverHeard);
    const title = silent
      ? never
        ? `No forwarder heartbeat ever from account ${account} in ${where} (expected for ${minutesBetween(earliest, nowMs)} minutes)`
        : `Forwarder silent: no heartbeat from account ${account} in ${where} for ${minutesBetween(earliest, nowMs)} minutes`
      : `Forwarder back: heartbeats from account ${account} in ${where} again`;
    const finding: Finding = {
      detection: silent ? FORWARDER_SILENT : FORWARDER_RESUMED,
      severity: silent ? 'high' : 'medium',
      title,
      // Stable per account and episode: a retried check run re-sends the same ids (the notifier de-duplicates on them).
      eventId: `heartbeat-${silent ? 'silent' : 'resumed'}:${account}:${regions.join('+')}:${silent ? earliest : Math.max(...list.map((t) => t.sinceMs))}`,
      eventName: 'Heartbeat',
      eventSource: 'trailwatch.heartbeat',
      time: iso(nowMs),
      account,
      region: first.pair.region,
      principal: { type: 'Trailwatch', name: 'forwarder heartbeat check' },
      details: {
        effect: silent ? `forwarder silent in ${regions.join(', ')}` : `forwarder back in ${regions.join(', ')}`,
        regions,
        silenceMinutes,
        pairs: list.map((t) => ({
          region: t.pair.region,
          ...(t.pair.lastSeenMs !== undefined ? { lastHeartbeat: iso(t.pair.lastSeenMs) } : { neverHeard: true, expectedSince: iso(t.sinceMs) }),
          ...(!silent && t.pair.statusSinceMs !== undefined ? { silentSince: iso(t.pair.statusSinceMs) } : {}),
        })),
      },
      runbook: silent ? SILENT_RUNBOOK : RESUMED_RUNBOOK,
      references: { mitre: ['T1562.008'], urls: ['https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html'] },
    };
    // A forwarder that stops is the blind spot an attacker wants: never routine, whoever's history.
    if (silent) finding.inherentRisk = 'Trailwatch no longer sees this account and region';
    out.push(finding);
  }
  return out;
}

export interface CheckResult {
  pairs: number;
  /** Expected pairs added this run (never heard from before). */
  added: number;
  findings: Finding[];
  /** Transitions another check run had already made (not reported twice). */
  lost: number;
  /** Undo the transitions of this run (the findings could not be delivered: the next run retries). */
  revert(): Promise<void>;
}

/** One check run: add the expected pairs, judge every pair, claim each change, build the findings. */
export async function runCheck(store: HeartbeatStore, expected: ExpectedAccounts, options: SilenceOptions, nowMs: number): Promise<CheckResult> {
  const pairs = await store.list();
  const known = new Set(pairs.map((p) => pairKey(p.account, p.region)));
  let added = 0;
  for (const account of await expected.accounts()) {
    for (const region of options.regions) {
      if (account === options.home.account && region === options.home.region) continue;
      if (known.has(pairKey(account, region))) continue;
      if (await store.expect(account, region, nowMs)) added += 1;
      known.add(pairKey(account, region));
    }
  }
  // Newly expected pairs start their grace period now: nothing to judge about them yet.
  const claimed: Transition[] = [];
  let lost = 0;
  for (const t of judge(pairs, nowMs, options.silenceMinutes)) {
    if (await store.transition(t.pair.account, t.pair.region, t.from, t.to, nowMs)) claimed.push(t);
    else lost += 1;
  }
  return {
    pairs: known.size,
    added,
    lost,
    findings: transitionFindings(claimed, nowMs, options.silenceMinutes),
    revert: async () => {
      for (const t of claimed) await store.transition(t.pair.account, t.pair.region, t.to, t.from, nowMs);
    },
  };
}

import type { Finding } from '../model/types.ts';

/**
 * When a person usually acts: a 24-slot histogram of the UTC hour of day of their findings
 * (docs/noise.md#time-of-day). Counts only, so the memory and DynamoDB stores hold the same 24
 * numbers and Lambda, replay and tests reach the same verdict. One profile per actor (not per change
 * kind: a person's usual day does not depend on which API they call).
 */
export interface HoursProfile {
  /** counts[h] = findings at UTC hour h (length 24). */
  counts: number[];
  total: number;
  /** The first observation (epoch ms): the learning period is measured from it. */
  firstSeenMs: number;
}

/** Before this many observations, "off-hours" means nothing (the learning period, part 1). */
export const HOURS_MIN_OBSERVATIONS = 20;
/** …and before this many days since the first one (part 2: one busy afternoon is not a routine). */
export const HOURS_MIN_DAYS = 7;
/** The usual hours are the shortest span of the day that holds this share of the actor's activity (90%: a few late evenings are not a new routine, and two nights of an intruder do not make 03:00 usual). */
export const USUAL_SHARE = 0.9;
/** Hours added on each side of that span: DST moves a fixed local routine by one UTC hour, and people start a little early. */
export const USUAL_MARGIN_HOURS = 1;
/** An actor whose usual span (with margins) is this long works around the clock: no hour is off-hours. */
export const ROUND_THE_CLOCK_HOURS = 20;

const DAY_MS = 86_400_000;

/** UTC hour of day of an epoch-ms time. */
export function hourOf(timeMs: number): number {
  return new Date(timeMs).getUTCHours();
}

/**
 * True when a person is behind the finding: an IAM user, root, a federated / Identity Center / SAML
 * user, an Identity Center (`AWSReservedSSO_*`) role session, or a detection that said so
 * (`details.humanSession`). Role sessions opened through the API (CI/CD, IaC, workloads) are
 * automation and are never judged by the hour: a nightly job at 03:00 is its routine.
 */
export function isHumanActor(finding: Finding): boolean {
  const p = finding.principal;
  if (finding.details['humanSession'] === true) return true;
  if (['IAMUser', 'Root', 'FederatedUser', 'IdentityCenterUser', 'SAMLUser'].includes(p.type)) return true;
  return /AWSReservedSSO_/.test(p.sessionIssuerArn ?? p.arn ?? '');
}

/** The usual span `[start, start + length)` (hours, circular) before the margins; undefined when empty. */
function coreSpan(counts: readonly number[], total: number): { start: number; length: number } | undefined {
  if (total <= 0) return undefined;
  const need = Math.ceil(total * USUAL_SHARE);
  for (let length = 1; length <= 24; length++) {
    // Smallest start wins among equal lengths: deterministic.
    for (let start = 0; start < 24; start++) {
      let sum = 0;
      for (let i = 0; i < length; i++) sum += counts[(start + i) % 24] ?? 0;
      if (sum >= need) return { start, length };
    }
  }
  return { start: 0, length: 24 };
}

/** The actor's usual hours with margins, `[start, end)` in UTC hours; undefined when learning, or round the clock. */
export function usualHours(profile: HoursProfile | undefined, atMs: number): { start: number; end: number } | undefined {
  if (!profile || profile.total < HOURS_MIN_OBSERVATIONS || atMs - profile.firstSeenMs < HOURS_MIN_DAYS * DAY_MS) return undefined;
  const core = coreSpan(profile.counts, profile.total);
  if (!core) return undefined;
  const length = core.length + 2 * USUAL_MARGIN_HOURS;
  if (length >= ROUND_THE_CLOCK_HOURS) return undefined;
  const start = (core.start - USUAL_MARGIN_HOURS + 24) % 24;
  return { start, end: (start + length) % 24 };
}

/** Whether `hour` lies in the circular span `[start, end)`. */
function within(hour: number, span: { start: number; end: number }): boolean {
  return span.start < span.end ? hour >= span.start && hour < span.end : hour >= span.start || hour < span.end;
}

const hh = (h: number): string => String(h).padStart(2, '0');

/** What the routing reason says about an off-hours action. */
export interface OffHours {
  /** UTC hour of the action. */
  hour: number;
  /** The actor's usual hours as words: `07–19 UTC`. */
  usual: string;
}

/** An off-hours verdict from the profile as it was before this action; undefined when usual, learning, or round the clock. */
export function offHoursOf(before: HoursProfile | undefined, timeMs: number): OffHours | undefined {
  const span = usualHours(before, timeMs);
  if (!span) return undefined;
  const hour = hourOf(timeMs);
  if (within(hour, span)) return undefined;
  return { hour, usual: `${hh(span.start)}–${hh(span.end === 0 ? 24 : span.end)} UTC` };
}

/** An empty profile (first observation at `timeMs`). */
export function emptyHours(timeMs: number): HoursProfile {
  return { counts: new Array<number>(24).fill(0), total: 0, firstSeenMs: timeMs };
}

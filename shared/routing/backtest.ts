import { ROUTES, type Finding, type Route } from '../model/types.ts';
import { MessageCounter } from '../notify/messages.ts';
import { actorOf } from '../novelty/keys.ts';

/** One UTC day of a back-test. */
export interface BacktestDay {
  day: string;
  routes: Record<Route, number>;
  pages: number;
  /** Every message of the day: pages, follow-ups, digests and the daily summary (when it has anything). */
  slackMessages: number;
}

export interface NoiseSource {
  name: string;
  /** Findings that reached people (paged, followed up or in a digest). */
  alerts: number;
  pages: number;
}

export interface BacktestSummary {
  days: BacktestDay[];
  pagesPerDay: number;
  slackMessagesPerDay: number;
  /** The same averages without the first day (the novelty model's learning day). */
  afterFirstDay?: { pagesPerDay: number; slackMessagesPerDay: number };
  topDetections: NoiseSource[];
  topPrincipals: NoiseSource[];
  suppressed: number;
}

export interface BacktestOptions {
  /** Digest window of the notifier (TRAILWATCH_DIGEST_WINDOW_SECONDS): one digest per detection+principal per window. */
  digestWindowSeconds?: number;
  /** Incident window of the notifier (TRAILWATCH_INCIDENT_WINDOW_SECONDS, default 3600): one page per incident. */
  incidentWindowSeconds?: number;
  top?: number;
}

/**
 * What a set of routed findings would have cost the people on call: per UTC day the findings by
 * route, the pages and the Slack messages, and the top noise sources. The findings are fed in
 * event-time order to the notifier's message counter (shared/notify/messages.ts), which models what
 * the deployed notifier sends: one page per incident (detection, account, principal) plus severity
 * rises and re-opened incidents, one follow-up message per incident and clock-aligned digest window,
 * one digest per detection, principal and window, one summary per UTC day. A message is counted on
 * the day of the finding that opens it.
 */
export function backtest(findings: readonly Finding[], options: BacktestOptions = {}): BacktestSummary {
  const top = options.top ?? 5;
  const days = new Map<string, BacktestDay>();
  const byDetection = new Map<string, NoiseSource>();
  const byPrincipal = new Map<string, NoiseSource>();
  let suppressed = 0;
  const sorted = [...findings].sort((a, b) => a.time.localeCompare(b.time));
  const counter = new MessageCounter({
    ...(options.digestWindowSeconds !== undefined ? { digestWindowMs: options.digestWindowSeconds * 1000 } : {}),
    ...(options.incidentWindowSeconds !== undefined ? { incidentWindowMs: options.incidentWindowSeconds * 1000 } : {}),
  });
  for (const f of sorted) {
    const day = f.time.slice(0, 10);
    let d = days.get(day);
    if (!d) {
      d = { day, routes: { page: 0, digest: 0, summary: 0, record: 0 }, pages: 0, slackMessages: 0 };
      days.set(day, d);
    }
    const delivery = counter.count(f);
    d.routes[delivery.path] += 1;
    if (f.suppressed) suppressed += 1;
    const paged = delivery.opens === 'page';
    if (paged) d.pages += 1;
    if (delivery.opens) d.slackMessages += 1;
    if (delivery.outcome === 'page' || delivery.outcome === 'follow-up' || delivery.outcome === 'digest') {
      for (const [map, name] of [
        [byDetection, f.detection],
        [byPrincipal, actorOf(f)],
      ] as const) {
        const s = map.get(name) ?? { name, alerts: 0, pages: 0 };
        s.alerts += 1;
        if (paged) s.pages += 1;
        map.set(name, s);
      }
    }
  }
  const list = [...days.values()].sort((a, b) => a.day.localeCompare(b.day));
  const avg = (ds: BacktestDay[], pick: (d: BacktestDay) => number): number => (ds.length === 0 ? 0 : round(ds.reduce((n, d) => n + pick(d), 0) / spanDays(ds)));
  const rank = (m: Map<string, NoiseSource>): NoiseSource[] => [...m.values()].sort((a, b) => b.pages - a.pages || b.alerts - a.alerts || a.name.localeCompare(b.name)).slice(0, top);
  const summary: BacktestSummary = {
    days: list,
    pagesPerDay: avg(list, (d) => d.pages),
    slackMessagesPerDay: avg(list, (d) => d.slackMessages),
    topDetections: rank(byDetection),
    topPrincipals: rank(byPrincipal),
    suppressed,
  };
  if (list.length > 1) {
    const rest = list.slice(1);
    summary.afterFirstDay = { pagesPerDay: avg(rest, (d) => d.pages), slackMessagesPerDay: avg(rest, (d) => d.slackMessages) };
  }
  return summary;
}

/** Calendar days from the first to the last day with findings (quiet days in between count). */
function spanDays(days: BacktestDay[]): number {
  const first = Date.parse(`${days[0]?.day}T00:00:00Z`);
  const last = Date.parse(`${days[days.length - 1]?.day}T00:00:00Z`);
  return Math.round((last - first) / 86_400_000) + 1;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/** The back-test as text lines for the replay summary. */
export function formatBacktest(s: BacktestSummary): string {
  const lines = ['', 'back-test (what this replay would have sent people)'];
  // Findings per route, then what people got: pages (one per incident) and Slack messages.
  lines.push(`  day         ${ROUTES.map((r) => r.padStart(7)).join(' ')}   pages  slack`);
  for (const d of s.days) lines.push(`  ${d.day}  ${ROUTES.map((r) => String(d.routes[r]).padStart(7)).join(' ')}   ${String(d.pages).padStart(5)}  ${String(d.slackMessages).padStart(5)}`);
  lines.push(`  pages/day ${s.pagesPerDay}, Slack messages/day ${s.slackMessagesPerDay}${s.afterFirstDay ? ` (after the first day: ${s.afterFirstDay.pagesPerDay} pages/day, ${s.afterFirstDay.slackMessagesPerDay} Slack messages/day)` : ''}${s.suppressed ? `, ${s.suppressed} suppressed` : ''}`);
  const list = (title: string, xs: NoiseSource[]): void => {
    if (xs.length === 0) return;
    lines.push(`  top noise by ${title}:`);
    for (const x of xs) lines.push(`    ${String(x.alerts).padStart(6)} alerts ${String(x.pages).padStart(5)} pages  ${x.name}`);
  };
  list('detection', s.topDetections);
  list('principal', s.topPrincipals);
  return `${lines.join('\n')}\n`;
}

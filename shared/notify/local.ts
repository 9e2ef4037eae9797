import { renderChatbot } from '../alerts/chatbot.ts';
import type { RenderContext } from '../alerts/context.ts';
import { safeJson, terminalText } from '../alerts/escape.ts';
import { principalLabel, type Alert, type AlertDigest } from '../alerts/format.ts';
import { renderSlack } from '../alerts/slack.ts';
import { renderEmail } from '../alerts/sns-message.ts';
import { maxSeverity, type Finding, type Severity } from '../model/types.ts';
import type { FindingSink } from '../sinks/types.ts';
import { SlackChannel } from './channels.ts';
import type { DeadLetter } from './dead-letter.ts';
import { DEFAULT_DIGEST } from './digest-store.ts';
import { followUpKey, windowStartOf } from './grouping.ts';
import { DEFAULT_INCIDENT_WINDOW_MS, MemoryIncidentStore, incidentTime } from './incidents.ts';
import { emptyStats, type NotifyStats } from './metrics.ts';
import { Notifier, type FollowUpGroups, type NotifyLog } from './notifier.ts';
import { PacedChannel, SLACK_INTERVAL_MS, pacingEstimate } from './pacer.ts';
import { checkWebhookUrl } from './webhook-url.ts';
import { DEFAULT_RETRY, type DeliveryDeps, type RetryPolicy } from './webhook.ts';

/**
 * What the replay CLI needs to show and send alerts locally: the same renderers and the same Slack
 * delivery (retries, 429 handling) as the Lambda, without DynamoDB — replay reads each event once,
 * so there is nothing to de-duplicate and no digest table. Incidents are the exception: the same
 * notifier logic runs over in-memory stores, so replay pages once per incident as the Lambda does
 * and posts each incident's follow-ups as digests (docs/alerts.md, "No page storms: incidents").
 */

/**
 * Incident follow-ups in memory, grouped as the digest table groups them (incident, page time,
 * digest window). Replay has no receipt time, so the window is taken from the finding's event time.
 */
export class MemoryFollowUps implements FollowUpGroups {
  readonly #groups = new Map<string, { digest: AlertDigest }>();
  constructor(readonly windowMs = DEFAULT_DIGEST.windowMs, readonly maxSamples = DEFAULT_DIGEST.maxSamples) {}

  async addFollowUp(finding: Finding, now: number, incident: { key: string; pagedAt: number; severity: Severity }): Promise<void> {
    const windowStart = windowStartOf(incidentTime(finding, now), this.windowMs);
    const pk = followUpKey(incident.key, incident.pagedAt, windowStart);
    const group = this.#groups.get(pk);
    if (!group) {
      const digest: AlertDigest = {
        detection: finding.detection,
        principal: principalLabel(finding),
        severity: finding.severity,
        count: 1,
        samples: [finding],
        firstTime: finding.time,
        lastTime: finding.time,
        incident: { pagedAt: new Date(incident.pagedAt).toISOString(), severity: incident.severity },
      };
      this.#groups.set(pk, { digest });
      return;
    }
    const d = group.digest;
    d.count += 1;
    d.severity = maxSeverity(d.severity, finding.severity);
    if (d.samples.length < this.maxSamples) d.samples.push(finding);
    d.lastTime = finding.time;
  }

  /** Every group so far, in the order they were opened; the store is emptied. */
  take(): AlertDigest[] {
    const out = [...this.#groups.values()].map((g) => g.digest);
    this.#groups.clear();
    return out;
  }
}

/**
 * The alerts the notifier would send for these findings, in order: pages (one per incident, plus
 * severity rises and re-opened incidents), then the incidents' follow-up digests. `record` findings
 * are counted in `stats.recorded`. `incidents` carries state across calls (one replay, several batches).
 */
export async function planLocalAlerts(
  findings: readonly Finding[],
  log: NotifyLog,
  options: { incidents?: MemoryIncidentStore; incidentWindowMs?: number } = {},
): Promise<{ alerts: Alert[]; stats: NotifyStats }> {
  const alerts: Alert[] = [];
  const followUps = new MemoryFollowUps();
  const planner = new Notifier({
    channels: [{ name: 'plan', send: async (alert) => void alerts.push(alert) }],
    deadLetters: { send: async () => undefined },
    incidents: options.incidents ?? new MemoryIncidentStore(),
    followUps,
    incidentWindowMs: options.incidentWindowMs ?? DEFAULT_INCIDENT_WINDOW_MS,
    log,
  });
  const stats = await planner.handle(findings, emptyStats());
  for (const digest of followUps.take()) alerts.push({ kind: 'digest', digest });
  return { alerts, stats: { ...emptyStats(), grouped: stats.grouped, followUps: stats.followUps, recorded: stats.recorded } };
}

/** The rendered Slack JSON and e-mail (and optionally the Chatbot JSON) for each finding, as text for a terminal. */
export function renderAlertsForTerminal(findings: readonly Finding[], options: { chatbot?: boolean; context?: RenderContext } = {}): string {
  const parts: string[] = [];
  findings.forEach((finding, i) => {
    const alert: Alert = { kind: 'finding', finding };
    const email = renderEmail(alert, options.context);
    parts.push(
      `=== alert ${i + 1}/${findings.length}: ${finding.severity.toUpperCase()} ${terminalText(finding.detection, 100)} (event ${terminalText(finding.eventId, 200)}) ===`,
      '--- Slack (webhook body) ---',
      safeJson(renderSlack(alert, options.context), 2),
      '--- E-mail ---',
      `Subject: ${email.subject}`,
      '',
      email.text,
    );
    if (options.chatbot) parts.push('--- Amazon Q Developer / Chatbot ---', safeJson(renderChatbot(alert, options.context), 2));
    parts.push('');
  });
  return parts.join('\n');
}

export interface LocalSlackOptions {
  policy?: RetryPolicy;
  deps?: DeliveryDeps;
  /** Time between posts (default 1.1 s: Slack allows about one message per second per webhook). */
  intervalMs?: number;
  /** Account names (the tuning file's organization.accounts), as the Lambda renders them. */
  context?: RenderContext;
  /** Incident state across calls (default: a fresh store per call). */
  incidents?: MemoryIncidentStore;
  /** Told how many messages will be posted before the first one goes. */
  onPlan?: (messages: number, stats: NotifyStats) => void;
}

export interface LocalSlackResult {
  stats: NotifyStats;
  /** Alerts Slack refused after retries (locally there is no DLQ: the caller reports them and exits non-zero). */
  failed: DeadLetter[];
}

/**
 * Posts the notifier's alerts for these findings (one page per incident, follow-up digests; see
 * `planLocalAlerts`) to a Slack webhook URL given on the command line. Throws on an unusable URL.
 */
export async function sendFindingsToSlack(
  findings: readonly Finding[],
  webhookUrl: string,
  log: NotifyLog,
  options: LocalSlackOptions = {},
): Promise<LocalSlackResult> {
  const url = checkWebhookUrl(webhookUrl);
  const failed: DeadLetter[] = [];
  const slack = new SlackChannel(async () => url, options.policy ?? DEFAULT_RETRY, options.deps ?? {}, options.context);
  const pacerDeps = { ...(options.deps?.now ? { now: options.deps.now } : {}), ...(options.deps?.sleep ? { sleep: options.deps.sleep } : {}) };
  const notifier = new Notifier({
    channels: [new PacedChannel(slack, options.intervalMs ?? SLACK_INTERVAL_MS, pacerDeps)],
    deadLetters: { send: async (letter) => void failed.push(letter) },
    log,
  });
  const { alerts, stats } = await planLocalAlerts(findings, log, options.incidents ? { incidents: options.incidents } : {});
  options.onPlan?.(alerts.length, stats);
  for (const alert of alerts) {
    const outcome = await notifier.deliver(alert, stats);
    if (outcome === 'delivered' && alert.kind === 'digest') stats.digests += 1;
  }
  return { stats, failed };
}

/** `--show-alerts`: writes the rendered Slack JSON and e-mail of every finding to `out`. */
export class AlertPreviewSink implements FindingSink {
  readonly name = 'alert-preview';
  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly options: { chatbot?: boolean; context?: RenderContext } = {},
  ) {}

  async publish(findings: readonly Finding[]): Promise<void> {
    if (findings.length === 0) return;
    this.out.write(renderAlertsForTerminal(findings, this.options));
  }
}

/**
 * `--slack-webhook URL`: posts every finding to a real Slack webhook with the Lambda's renderer and
 * retry rules. Alerts Slack still refuses are listed on `report` and make `publish` throw (the sink
 * contract: deliver everything or fail), so the replay exits non-zero instead of hiding a loss.
 */
export class SlackWebhookSink implements FindingSink {
  readonly name = 'slack-webhook';
  readonly #url: string;
  /** One replay, one incident state: batches published later still join the incidents paged earlier. */
  readonly #incidents = new MemoryIncidentStore();
  constructor(
    url: string,
    private readonly report: NodeJS.WritableStream,
    private readonly log: NotifyLog,
    private readonly options: LocalSlackOptions = {},
  ) {
    this.#url = checkWebhookUrl(url);
  }

  async publish(findings: readonly Finding[]): Promise<void> {
    if (findings.length === 0) return;
    const interval = this.options.intervalMs ?? SLACK_INTERVAL_MS;
    let toPost = 0;
    const onPlan = (messages: number, planned: NotifyStats): void => {
      toPost = messages;
      const held = planned.followUps > 0 ? ` (${planned.followUps} page-worthy finding(s) of incidents already paged go into follow-up digests)` : '';
      if (messages > 1) this.report.write(`slack: posting ${messages} alert(s), one every ${(interval / 1000).toFixed(1)} s (Slack's rate limit): ${pacingEstimate(messages, interval)}${held}\n`);
    };
    const { stats, failed } = await sendFindingsToSlack(findings, this.#url, this.log, { ...this.options, incidents: this.#incidents, onPlan });
    this.report.write(`slack: ${stats.alertsSent} of ${toPost} alert(s) posted${stats.recorded > 0 ? ` (${stats.recorded} routed to the record only, not posted)` : ''}\n`);
    if (failed.length > 0) {
      for (const letter of failed) {
        const id = letter.alert.kind === 'finding' ? `${letter.alert.finding.detection} ${letter.alert.finding.eventId}` : letter.alert.digest.detection;
        this.report.write(`slack: NOT delivered: ${id}: ${letter.failedChannels.map((c) => c.reason).join('; ')}\n`);
      }
      throw new Error(`${failed.length} alert(s) could not be delivered to Slack`);
    }
  }
}

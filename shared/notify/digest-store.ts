import { DeleteItemCommand, ScanCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AlertDigest } from '../alerts/format.ts';
import { isFinding, principalLabel } from '../alerts/format.ts';
import { isSeverity, SEVERITIES, type Finding, type Severity } from '../model/types.ts';
import { digestGroupKey, followUpKey, SUMMARY_PREFIX, summaryGroupKey, windowStartOf } from './grouping.ts';

/**
 * Digest windows in DynamoDB, so grouping works across concurrent, short-lived Lambda invocations.
 * A non-critical finding is added to the group (detection, principal, window) where the window is
 * the receipt time rounded down to `windowMs`. A window is due `windowMs + graceMs` after it starts;
 * the scheduled flush claims due groups with a lease, sends one digest each, and deletes them. The
 * table only ever holds open groups, so the flush's Scan stays small.
 *
 * Table: partition key `pk` (S), TTL attribute `ttl` (a safety net for groups nobody could send).
 */
export interface DigestOptions {
  windowMs: number;
  /** Extra wait after a window ends, so an add that started inside it has landed. */
  graceMs: number;
  /** Findings kept in full for the message (the first ones received). */
  maxSamples: number;
  /** How long a flush owns a group before another flush may retry it (longer than the flush timeout). */
  leaseMs: number;
}

export const DEFAULT_DIGEST: DigestOptions = { windowMs: 120_000, graceMs: 5_000, maxSamples: 5, leaseMs: 300_000 };

/** A group claimed by a flush: the digest to send plus what is needed to finish it. */
export interface ClaimedDigest {
  pk: string;
  digest: AlertDigest;
  /** Flush attempts so far, including this one. */
  attempt: number;
  /** Channels an earlier flush already delivered this group to (not sent again). */
  sent: string[];
}

/** Findings a daily summary keeps in full (the rest are counted per detection). */
export const SUMMARY_SAMPLES = 10;
const DAY = 86_400_000;

/** DynamoDB items are ≤ 400 KB: a sample larger than this keeps its summary but drops bulky details. */
const SAMPLE_BYTES = 40_000;

function sampleJson(f: Finding): string {
  const json = JSON.stringify(f);
  if (json.length <= SAMPLE_BYTES) return json;
  return JSON.stringify({ ...f, details: { note: 'details dropped from the digest sample (too large); see the event in CloudTrail' } });
}

export class DigestStore {
  constructor(
    private readonly ddb: DynamoDBClient,
    private readonly table: string,
    readonly options: DigestOptions = DEFAULT_DIGEST,
  ) {}

  /** The group key for a finding received at `now`. */
  groupKey(finding: Finding, now: number): { pk: string; windowStart: number } {
    return digestGroupKey(finding, now, this.options.windowMs);
  }

  /** Adds a finding to its group (creating it). Two writes: the counters, then a sample while there is room. */
  async add(finding: Finding, now: number): Promise<void> {
    const { pk, windowStart } = this.groupKey(finding, now);
    const dueAt = windowStart + this.options.windowMs + this.options.graceMs;
    await this.#count(pk, dueAt, finding, { detection: finding.detection, principal: principalLabel(finding) }, false);
    await this.#addSample(pk, finding, this.options.maxSamples);
  }

  /**
   * Adds a follow-up of an incident already paged (docs/alerts.md, "No page storms: incidents"):
   * grouped per incident (its key and page time) and digest window, flushed like a digest, sent as
   * "N more findings of the incident paged at …". `incidentKey` is the incident's key.
   */
  async addFollowUp(finding: Finding, now: number, incident: { key: string; pagedAt: number; severity: Severity }): Promise<void> {
    const windowStart = windowStartOf(now, this.options.windowMs);
    const pk = followUpKey(incident.key, incident.pagedAt, windowStart);
    const dueAt = windowStart + this.options.windowMs + this.options.graceMs;
    await this.#count(pk, dueAt, finding, { detection: finding.detection, principal: principalLabel(finding) }, false, {
      incidentPagedAt: new Date(incident.pagedAt).toISOString(),
      incidentSeverity: incident.severity,
    });
    await this.#addSample(pk, finding, this.options.maxSamples);
  }

  /**
   * Counts a finding into its group (digest or daily summary), creating the group on first use:
   * labels, due time, first/last time, open status and TTL are set once; counters are added.
   * `perDetection` also counts it per detection (the summary lists counts per detection).
   * `extra` string attributes are set once too (a follow-up's incident).
   */
  async #count(pk: string, dueAt: number, finding: Finding, labels: { detection: string; principal: string }, perDetection: boolean, extra: Record<string, string> = {}): Promise<void> {
    const extraNames = Object.keys(extra);
    await this.ddb.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: { pk: { S: pk } },
        UpdateExpression:
          'SET detection = if_not_exists(detection, :d), principal = if_not_exists(principal, :p), dueAt = if_not_exists(dueAt, :due), ' +
          'firstTime = if_not_exists(firstTime, :t), lastTime = :t, #st = if_not_exists(#st, :open), #ttl = if_not_exists(#ttl, :ttl) ' +
          extraNames.map((k, i) => `, ${k} = if_not_exists(${k}, :x${i}) `).join('') +
          `ADD #count :one, #sev :one${perDetection ? ', #det :one' : ''}`,
        ExpressionAttributeNames: {
          '#count': 'count',
          '#sev': `n_${finding.severity}`,
          ...(perDetection ? { '#det': `d_${finding.detection}` } : {}),
          '#st': 'status',
          '#ttl': 'ttl',
        },
        ExpressionAttributeValues: {
          ':d': { S: labels.detection },
          ':p': { S: labels.principal },
          ':due': { N: String(dueAt) },
          ':t': { S: finding.time },
          ':open': { S: 'open' },
          ':one': { N: '1' },
          ':ttl': { N: String(Math.ceil((dueAt + 7 * DAY) / 1000)) },
          ...Object.fromEntries(extraNames.map((k, i) => [`:x${i}`, { S: extra[k] as string }])),
        },
      }),
    );
  }

  /**
   * Adds a finding routed `summary` to the day's summary group (UTC day of `now`). The group is due
   * at the end of that day (plus grace) and sent as ONE message: counts per detection, first
   * findings in full.
   */
  async addToSummary(finding: Finding, now: number): Promise<void> {
    const { pk, dayStart } = summaryGroupKey(now);
    const dueAt = dayStart + DAY + this.options.graceMs;
    await this.#count(pk, dueAt, finding, { detection: 'daily-summary', principal: 'all principals' }, true);
    await this.#addSample(pk, finding, SUMMARY_SAMPLES);
  }

  async #addSample(pk: string, finding: Finding, max: number): Promise<void> {
    try {
      await this.ddb.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: { S: pk } },
          UpdateExpression: 'SET samples = list_append(if_not_exists(samples, :empty), :s)',
          ConditionExpression: 'attribute_not_exists(samples) OR size(samples) < :max',
          ExpressionAttributeValues: {
            ':empty': { L: [] },
            ':s': { L: [{ S: sampleJson(finding) }] },
            ':max': { N: String(max) },
          },
        }),
      );
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    }
  }

  /** Records that `channel` accepted this group's message, so a later flush does not send it there again. */
  async markSent(pk: string, channel: string): Promise<void> {
    await this.ddb.send(
      new UpdateItemCommand({ TableName: this.table, Key: { pk: { S: pk } }, UpdateExpression: 'ADD sent :c', ExpressionAttributeValues: { ':c': { SS: [channel] } } }),
    );
  }

  /** Claims every group due at `now` (not leased by another flush) and returns them as digests. */
  async claimDue(now: number): Promise<ClaimedDigest[]> {
    const due: Array<Record<string, AttributeValue>> = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.ddb.send(
        new ScanCommand({
          TableName: this.table,
          ConsistentRead: true,
          FilterExpression: 'dueAt <= :now',
          ExpressionAttributeValues: { ':now': { N: String(now) } },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      due.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    const claimed: ClaimedDigest[] = [];
    for (const item of due) {
      const pk = item['pk']?.S;
      if (!pk) continue;
      try {
        const result = await this.ddb.send(
          new UpdateItemCommand({
            TableName: this.table,
            Key: { pk: { S: pk } },
            UpdateExpression: 'SET #st = :sending, leaseUntil = :lease ADD attempts :one',
            ConditionExpression: 'dueAt <= :now AND (#st = :open OR leaseUntil < :now)',
            ExpressionAttributeNames: { '#st': 'status' },
            ExpressionAttributeValues: {
              ':sending': { S: 'sending' },
              ':open': { S: 'open' },
              ':lease': { N: String(now + this.options.leaseMs) },
              ':now': { N: String(now) },
              ':one': { N: '1' },
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        const attrs = result.Attributes;
        if (attrs) claimed.push({ pk, digest: toDigest(attrs), attempt: Number(attrs['attempts']?.N ?? '1'), sent: attrs['sent']?.SS ?? [] });
      } catch (error) {
        if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      }
    }
    return claimed;
  }

  /** The digest was delivered (or dead-lettered): the group is gone. */
  async finish(pk: string): Promise<void> {
    await this.ddb.send(new DeleteItemCommand({ TableName: this.table, Key: { pk: { S: pk } } }));
  }

  /** Delivery failed: hand the group back so the next flush retries it. */
  async giveBack(pk: string): Promise<void> {
    await this.ddb.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: { pk: { S: pk } },
        UpdateExpression: 'SET #st = :open REMOVE leaseUntil',
        ExpressionAttributeNames: { '#st': 'status' },
        ExpressionAttributeValues: { ':open': { S: 'open' } },
      }),
    );
  }
}

/** Rebuilds the digest from a stored group; unreadable samples are skipped, never fatal. */
export function toDigest(attrs: Record<string, AttributeValue>): AlertDigest {
  let severity: Severity = 'info';
  for (const s of SEVERITIES) if (Number(attrs[`n_${s}`]?.N ?? '0') > 0) severity = s;
  const samples: Finding[] = [];
  for (const v of attrs['samples']?.L ?? []) {
    try {
      const parsed: unknown = JSON.parse(v.S ?? '');
      if (isFinding(parsed)) samples.push(parsed);
    } catch {
      // A corrupt sample only shortens the list; the count still tells the story.
    }
  }
  const pk = attrs['pk']?.S ?? '';
  const summary = pk.startsWith(SUMMARY_PREFIX)
    ? {
        day: pk.slice(SUMMARY_PREFIX.length),
        byDetection: Object.fromEntries(
          Object.entries(attrs)
            .filter(([k, v]) => k.startsWith('d_') && v.N !== undefined)
            .map(([k, v]) => [k.slice(2), Number(v.N)]),
        ),
      }
    : undefined;
  const pagedAt = attrs['incidentPagedAt']?.S;
  const incidentSeverity = attrs['incidentSeverity']?.S;
  const incident =
    pagedAt !== undefined ? { pagedAt, severity: isSeverity(incidentSeverity) ? incidentSeverity : severity } : undefined;
  return {
    ...(summary ? { summary } : {}),
    ...(incident ? { incident } : {}),
    detection: attrs['detection']?.S ?? 'unknown',
    principal: attrs['principal']?.S ?? 'unknown',
    severity,
    count: Number(attrs['count']?.N ?? String(samples.length)),
    samples,
    firstTime: attrs['firstTime']?.S ?? samples[0]?.time ?? '',
    lastTime: attrs['lastTime']?.S ?? samples.at(-1)?.time ?? '',
  };
}

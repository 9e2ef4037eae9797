import {
  ConditionalCheckFailedException,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { isSeverity } from '../model/types.ts';
import type { BurstState } from './bursts.ts';
import { MAX_EPISODES, PEAK_SLOTS, uniformPeaks, type Baseline } from './model.ts';
import type { KeyState, KeyWrite, RateStore, StoreStats } from './store.ts';

/**
 * DynamoDB rate state: one item per key (`pk`), per-minute counters as top-level number attributes
 * `c<minute>` updated with atomic ADD, the baseline as numbers, the open burst, a version and a TTL.
 * Each key costs one UpdateItem per batch (plus one conditional write when a burst opens or moves).
 */
export class DynamoRateStore implements RateStore {
  readonly stats: StoreStats = { writes: 0, conditionalFailures: 0 };

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    /** Parallel UpdateItem calls per batch. */
    private readonly concurrency = 32,
  ) {}

  async apply(writes: readonly KeyWrite[]): Promise<KeyState[]> {
    const out = new Array<KeyState>(writes.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < writes.length) {
        const i = next++;
        out[i] = await this.applyOne(writes[i] as KeyWrite);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, writes.length) }, worker));
    return out;
  }

  private async applyOne(w: KeyWrite): Promise<KeyState> {
    if (w.fold) {
      try {
        return await this.update(this.foldInput(w, w.fold));
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        this.stats.conditionalFailures += 1; // someone else wrote since our cached read: ADD only
      }
    }
    return this.update(this.addInput(w, new Set()));
  }

  private async update(input: UpdateItemCommandInput): Promise<KeyState> {
    this.stats.writes += 1;
    const res = await this.client.send(new UpdateItemCommand(input));
    return toState(res.Attributes ?? {});
  }

  private addInput(w: KeyWrite, skip: Set<number>): UpdateItemCommandInput & { ExpressionAttributeValues: Record<string, AttributeValue> } {
    const adds = ['ver :one'];
    const values: Record<string, AttributeValue> = { ':one': { N: '1' }, ':ttl': { N: String(w.ttl) } };
    let i = 0;
    for (const [m, n] of w.adds) {
      if (skip.has(m)) continue;
      adds.push(`c${m} :a${i}`);
      values[`:a${i}`] = { N: String(n) };
      i += 1;
    }
    return {
      TableName: this.tableName,
      Key: { pk: { S: w.keyId } },
      UpdateExpression: `SET #ttl = :ttl ADD ${adds.join(', ')}`,
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: values,
      ReturnValues: 'ALL_NEW',
    };
  }

  private foldInput(w: KeyWrite, f: NonNullable<KeyWrite['fold']>): UpdateItemCommandInput {
    const removed = new Set(f.removeMinutes);
    const base = this.addInput(w, removed);
    const b = f.baseline;
    Object.assign(base.ExpressionAttributeValues, {
      ':m1': num(b.m1), ':m2': num(b.m2), ':pk': { S: encodePeaks(b.peaks) }, ':fm': num(b.firstMinute), ':ft': num(b.foldedThrough), ':v': num(f.expectVersion),
    });
    // `peak` is the pre-slot single peak: dropped by the first fold that writes `pks` (a no-op after).
    const remove = ` REMOVE ${['peak', ...f.removeMinutes.map((m) => `c${m}`)].join(', ')}`;
    const [, addPart] = (base.UpdateExpression as string).split(' ADD ');
    let episodes = '';
    if (b.episodes && b.episodes.length > 0 && b.episodeMinute !== undefined) {
      Object.assign(base.ExpressionAttributeValues, { ':ep': { S: encodeEpisodes(b.episodes, b.episodeSlots ?? [], b.episodeMinute) } });
      episodes = ', eps = :ep';
    }
    return {
      ...base,
      UpdateExpression: `SET #ttl = :ttl, m1 = :m1, m2 = :m2, pks = :pk, fmin = :fm, fthru = :ft${episodes} ADD ${addPart}${remove}`,
      ConditionExpression: f.expectVersion === 0 ? 'attribute_not_exists(ver)' : 'ver = :v',
    };
  }

  async saveBurst(keyId: string, expectedId: string | null, burst: BurstState, ttl: number): Promise<boolean> {
    this.stats.writes += 1;
    const values: Record<string, AttributeValue> = {
      ':id': { S: burst.id }, ':s': num(burst.startMinute), ':l': num(burst.lastMinute), ':c': num(burst.alertedCount), ':n': num(burst.alerts), ':am': num(burst.alertedMinute), ':ttl': num(ttl),
      ':bsev': { S: burst.severity ?? 'medium' }, ':btot': num(burst.total ?? 0), ':blc': num(burst.lastCount ?? burst.alertedCount), ':bmins': num(burst.minutes ?? 1), ':bpk': num(burst.peak ?? burst.alertedCount),
    };
    if (expectedId !== null) values[':prev'] = { S: expectedId };
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: keyId } },
          UpdateExpression: 'SET bid = :id, bstart = :s, blast = :l, bcount = :c, bmin = :am, balerts = :n, bsev = :bsev, btot = :btot, blc = :blc, bmins = :bmins, bpk = :bpk, #ttl = :ttl',
          ConditionExpression: expectedId === null ? 'attribute_exists(pk) AND attribute_not_exists(bid)' : 'bid = :prev',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        this.stats.conditionalFailures += 1;
        return false;
      }
      throw error;
    }
  }
}

function num(n: number): AttributeValue {
  return { N: String(n) };
}

/**
 * The 24 hourly peaks as one compact string attribute (`pks`): comma-separated, 6 significant
 * digits (the peak test is a 1.5x ratio; 1e-6 relative is far below anything it can see), values
 * under 0.001 written as 0. About 24-170 bytes instead of ~270 for a full-precision number list.
 */
export function encodePeaks(peaks: readonly number[]): string {
  return peaks.map((p) => (p >= 0.001 && Number.isFinite(p) ? String(Number(p.toPrecision(6))) : '0')).join(',');
}

/** Inverse of `encodePeaks`; undefined when the attribute is not a well-formed list of PEAK_SLOTS numbers. */
export function decodePeaks(text: string): number[] | undefined {
  const parts = text.split(',').map(Number);
  return parts.length === PEAK_SLOTS && parts.every((n) => Number.isFinite(n) && n >= 0) ? parts : undefined;
}

/** Burst episodes (`eps`): `<last busy minute>;<peak>,<peak>…;<hour slot>,<hour slot>…` (peaks with 6 significant digits). */
export function encodeEpisodes(episodes: readonly number[], slots: readonly number[], lastMinute: number): string {
  return `${lastMinute};${encodePeaks(episodes.slice(-MAX_EPISODES))};${slots.slice(-MAX_EPISODES).join(',')}`;
}

/** Inverse of `encodeEpisodes`; undefined when malformed (then the key simply has no episodes yet). */
export function decodeEpisodes(text: string): { episodes: number[]; slots: number[]; lastMinute: number } | undefined {
  const [minute, list, slotList] = text.split(';');
  const lastMinute = Number(minute);
  if (!Number.isInteger(lastMinute) || !list || !slotList) return undefined;
  const episodes = list.split(',').map(Number);
  const slots = slotList.split(',').map(Number);
  const ok = episodes.length <= MAX_EPISODES && slots.length === episodes.length && episodes.every((n) => Number.isFinite(n) && n >= 0) && slots.every((n) => Number.isInteger(n) && n >= 0 && n < PEAK_SLOTS);
  return ok ? { episodes, slots, lastMinute } : undefined;
}

function readNum(item: Record<string, AttributeValue>, name: string): number | undefined {
  const v = item[name];
  if (!v || v.N === undefined) return undefined;
  const n = Number(v.N);
  return Number.isFinite(n) ? n : undefined;
}

/** Item -> KeyState; tolerant of missing attributes (a fresh item has only counters). */
export function toState(item: Record<string, AttributeValue>): KeyState {
  const counts = new Map<number, number>();
  for (const [name, value] of Object.entries(item)) {
    if (/^c\d+$/.test(name) && value.N !== undefined) counts.set(Number(name.slice(1)), Number(value.N));
  }
  const m1 = readNum(item, 'm1');
  const m2 = readNum(item, 'm2');
  // Items written before the hourly slots carry one `peak` number: it applies to every hour until
  // the next fold rewrites the item with `pks` (so an upgrade never forgets a job and never pages).
  const pks = item['pks']?.S;
  const legacy = readNum(item, 'peak');
  const peaks = pks !== undefined ? decodePeaks(pks) : legacy !== undefined ? uniformPeaks(legacy) : undefined;
  const firstMinute = readNum(item, 'fmin');
  const foldedThrough = readNum(item, 'fthru');
  const baseline: Baseline | null =
    m1 !== undefined && m2 !== undefined && peaks !== undefined && firstMinute !== undefined && foldedThrough !== undefined
      ? { m1, m2, peaks, firstMinute, foldedThrough }
      : null;
  const eps = item['eps']?.S !== undefined ? decodeEpisodes(item['eps'].S) : undefined;
  if (baseline && eps) Object.assign(baseline, { episodes: eps.episodes, episodeSlots: eps.slots, episodeMinute: eps.lastMinute });
  const bid = item['bid']?.S;
  const burst: BurstState | null = bid
    ? { id: bid, startMinute: readNum(item, 'bstart') ?? 0, lastMinute: readNum(item, 'blast') ?? 0, alertedCount: readNum(item, 'bcount') ?? 0, alertedMinute: readNum(item, 'bmin') ?? readNum(item, 'bstart') ?? 0, alerts: readNum(item, 'balerts') ?? 1 }
    : null;
  if (burst) {
    const sev = item['bsev']?.S;
    if (isSeverity(sev)) burst.severity = sev;
    for (const [attr, field] of [['btot', 'total'], ['blc', 'lastCount'], ['bmins', 'minutes'], ['bpk', 'peak']] as const) {
      const v = readNum(item, attr);
      if (v !== undefined) burst[field] = v;
    }
  }
  return { version: readNum(item, 'ver') ?? 0, baseline, counts, burst };
}

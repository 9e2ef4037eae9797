import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { detailTypeFor, eventBridgeSource } from '../../shared/pipeline/event-rules.ts';
import { EVENTS_DIR, EXTERNAL_DIR, readJson } from './events.ts';

/** One EventBridge event with where it came from (for assertion messages). */
export interface LabelledEvent {
  label: string;
  event: Record<string, unknown>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The EventBridge event CloudTrail delivers for a bare record: the documented envelope (source from
 * the eventSource, detail-type from the eventType), with the record as `detail`.
 */
export function envelopeFor(record: Record<string, unknown>, id: string): Record<string, unknown> {
  const eventSource = String(record['eventSource'] ?? '');
  const eventType = record['eventType'];
  const detailType =
    eventType === 'AwsServiceEvent' ? 'AWS Service Event via CloudTrail' : eventType === 'AwsConsoleSignIn' ? 'AWS Console Sign In via CloudTrail' : detailTypeFor(eventSource);
  return {
    version: '0',
    id,
    'detail-type': detailType,
    source: eventBridgeSource(eventSource),
    account: String(record['recipientAccountId'] ?? (record['userIdentity'] as Record<string, unknown> | undefined)?.['accountId'] ?? '111122223333'),
    time: String(record['eventTime'] ?? '1970-01-01T00:00:00Z'),
    region: String(record['awsRegion'] ?? 'us-east-1'),
    resources: [],
    detail: record,
  };
}

function walk(dir: string, keep: (file: string) => boolean): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((entry) => {
      const path = join(dir, entry);
      return statSync(path).isDirectory() ? walk(path, keep) : keep(path) ? [path] : [];
    });
}

/** Every sample event in `events/` (the per-detection envelopes and the bare traffic records). */
export function sampleEvents(): LabelledEvent[] {
  const out: LabelledEvent[] = [];
  for (const file of walk(EVENTS_DIR, (f) => f.endsWith('.json') || f.endsWith('.jsonl'))) {
    const label = file.slice(EVENTS_DIR.length + 1);
    if (file.endsWith('.jsonl')) {
      readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .forEach((line, i) => {
          const value = JSON.parse(line) as Record<string, unknown>;
          out.push({ label: `${label}:${i + 1}`, event: 'detail' in value ? value : envelopeFor(value, `traffic-${i + 1}`) });
        });
    } else {
      const value = readJson(file);
      for (const [i, v] of (Array.isArray(value) ? value : [value]).entries()) if (isObject(v)) out.push({ label: Array.isArray(value) ? `${label}[${i}]` : label, event: v });
    }
  }
  return out;
}

/** The Invictus and Stratus CloudTrail records beside the project, as EventBridge events ([] when absent). */
export function externalEvents(): LabelledEvent[] {
  const out: LabelledEvent[] = [];
  for (const sub of ['invictus', 'stratus']) {
    const dir = join(EXTERNAL_DIR, sub);
    if (!existsSync(dir)) continue;
    for (const file of walk(dir, (f) => f.endsWith('.json'))) {
      const value = readJson(file);
      const records = Array.isArray(value) ? value : isObject(value) && Array.isArray(value['Records']) ? value['Records'] : [];
      records.forEach((r: unknown, i: number) => {
        if (isObject(r)) out.push({ label: `${sub}/${file.slice(dir.length + 1)}[${i}]`, event: envelopeFor(r, `${sub}-${i}`) });
      });
    }
  }
  return out;
}

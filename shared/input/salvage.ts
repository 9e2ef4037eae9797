import type { InputRecord } from './types.ts';

/**
 * Recovers the readable records of a CloudTrail log file (`{"Records":[…]}`) or a JSON array of
 * events that is not valid JSON as a whole: one corrupt record (a bit flip, a cut string, a
 * truncated download) must not cost the other records of the file.
 *
 * How: the array is split into its elements by a string-aware bracket scan and each element is
 * parsed on its own. An element that does not parse is one skip (one record), named by its position;
 * the scan then resynchronises at the next `{` after a `,` whose element parses and looks like an
 * event, so a corrupt record that also broke the quoting swallows nothing but itself.
 */

/** One reason for every corrupt record (constant, so the skip table and metrics group them). */
export const CORRUPT = 'corrupt record (not valid JSON)';

/** Offset just after `[` when the text starts a log file (`{"Records":[`) or an array; else undefined. */
export function arrayStart(text: string): { offset: number; logFile: boolean } | undefined {
  const logFile = /^\s*\{\s*"Records"\s*:\s*\[/.exec(text);
  if (logFile) return { offset: logFile[0].length, logFile: true };
  const array = /^\s*\[/.exec(text);
  return array ? { offset: array[0].length, logFile: false } : undefined;
}

/** End (exclusive) of the JSON value starting at `start` by bracket counting outside strings; undefined when it never closes. */
function valueEnd(text: string, start: number): number | undefined {
  const first = text.charCodeAt(start);
  if (first !== 0x7b && first !== 0x5b) {
    // A scalar: up to the next separator.
    let i = start;
    while (i < text.length && text[i] !== ',' && text[i] !== ']' && text[i] !== '}' && text[i] !== '\n') i++;
    return i;
  }
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return undefined;
}

/** A parsed value that is plausibly one event (not a nested object such as a `resources` entry). */
function looksLikeEvent(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return ['eventVersion', 'eventID', 'eventTime', 'eventName', 'detail-type', 'detail'].some((k) => k in value);
}

function parse(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\n' || c === '\r' || c === '\t';

/**
 * `line:column` (1-based) of offsets that only grow, so naming each element stays linear. CloudTrail
 * writes a log file on one line, so the column is what locates a record there.
 */
class Position {
  private offset = 0;
  private line = 1;
  private lineStart = 0;
  constructor(private readonly text: string) {}
  at(offset: number): string {
    for (; this.offset < offset && this.offset < this.text.length; this.offset++) {
      if (this.text.charCodeAt(this.offset) === 10) {
        this.line++;
        this.lineStart = this.offset + 1;
      }
    }
    return `${this.line}:${offset - this.lineStart + 1}`;
  }
}

/**
 * The next resynchronisation point after a corrupt element: a `{` preceded by `,` (or `[`) whose
 * element parses and looks like an event. Returns its offset and parsed value.
 */
function resync(text: string, from: number): { offset: number; end: number; value: unknown } | undefined {
  for (let i = text.indexOf('{', from); i !== -1; i = text.indexOf('{', i + 1)) {
    let j = i - 1;
    while (j >= 0 && isSpace(text[j])) j--;
    if (text[j] !== ',' && text[j] !== '[') continue;
    const end = valueEnd(text, i);
    if (end === undefined) continue;
    const parsed = parse(text.slice(i, end));
    if (parsed.ok && looksLikeEvent(parsed.value)) return { offset: i, end, value: parsed.value };
  }
  return undefined;
}

/**
 * Every record of a damaged log file or array that can still be read, and one skip per element
 * that cannot (`corrupt record`), or for a cut-off tail (`truncated record`). Records keep the
 * usual `file:Records[i]` origin (i counts a lost record as one element); skips are named
 * `file:line:column`. Returns undefined when
 * the text is not a log file or array at all (the caller reports the file as malformed).
 */
export function salvageRecords(text: string, file: string): InputRecord[] | undefined {
  const start = arrayStart(text);
  if (!start) return undefined;
  const out: InputRecord[] = [];
  const position = new Position(text);
  let index = 0;
  const eventOrigin = (): string => (start.logFile ? `${file}:Records[${index++}]` : `${file}[${index++}]`);
  let i = start.offset;
  for (;;) {
    while (i < text.length && (isSpace(text[i]) || text[i] === ',')) i++;
    if (i >= text.length) {
      if (out.length > 0 || start.logFile) out.push({ kind: 'skip', skip: { reason: 'truncated log file: the Records array never closes', origin: `${file}:${position.at(i)}` }, unreadable: 'file' });
      break;
    }
    if (text[i] === ']') break;
    const end = valueEnd(text, i);
    const parsed = end === undefined ? undefined : parse(text.slice(i, end));
    if (end !== undefined && parsed?.ok) {
      out.push({ kind: 'event', value: parsed.value, origin: eventOrigin() });
      i = end;
      continue;
    }
    const where = `${file}:${position.at(i)}`;
    index++;
    const next = resync(text, i + 1);
    if (!next) {
      const reason = end === undefined ? 'truncated record: the file ends inside it' : CORRUPT;
      out.push({ kind: 'skip', skip: { reason, origin: where }, unreadable: 'record' });
      break;
    }
    out.push({ kind: 'skip', skip: { reason: CORRUPT, origin: where }, unreadable: 'record' });
    out.push({ kind: 'event', value: next.value, origin: eventOrigin() });
    i = next.end;
  }
  return out;
}

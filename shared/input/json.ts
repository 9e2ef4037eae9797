import type { InputRecord } from './types.ts';

/** Line (1-based) of a character offset in a text, for `file:line` skip reasons. */
export function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** V8 says "... at position 123 (line 4 column 5)" or "... at position 123": take the offset. */
function errorOffset(message: string): number | undefined {
  const m = /position (\d+)/.exec(message);
  return m ? Number(m[1]) : undefined;
}

/**
 * The records inside one parsed JSON document: a CloudTrail log file `{"Records":[…]}` gives each
 * record, an array gives each element, any other object is one event.
 */
export function* recordsOfDocument(doc: unknown, origin: string): Generator<InputRecord> {
  if (Array.isArray(doc)) {
    for (let i = 0; i < doc.length; i++) yield { kind: 'event', value: doc[i], origin: `${origin}[${i}]` };
    return;
  }
  if (typeof doc === 'object' && doc !== null && 'Records' in doc) {
    const records = (doc as { Records: unknown }).Records;
    if (!Array.isArray(records)) {
      yield { kind: 'skip', skip: { reason: 'CloudTrail log file whose Records is not an array', origin } };
      return;
    }
    for (let i = 0; i < records.length; i++) yield { kind: 'event', value: records[i], origin: `${origin}:Records[${i}]` };
    return;
  }
  yield { kind: 'event', value: doc, origin };
}

/**
 * Parses JSON Lines text: one value per non-blank line; a malformed line is a skip naming
 * `file:line`, and the other lines still count.
 */
export function* recordsOfJsonLines(text: string, file: string, firstLine = 1): Generator<InputRecord> {
  let line = firstLine;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    yield* recordsOfLine(text.slice(start, end), file, line);
    line++;
    start = end + 1;
  }
}

/** One JSON Lines line (blank lines are ignored). */
export function* recordsOfLine(raw: string, file: string, line: number): Generator<InputRecord> {
  const trimmed = raw.trim();
  if (trimmed === '') return;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (error) {
    yield { kind: 'skip', skip: { reason: `malformed JSON line: ${(error as Error).message}`, origin: `${file}:${line}` } };
    return;
  }
  yield* recordsOfDocument(value, `${file}:${line}`);
}

/** True when text looks like JSON Lines: at least two lines that each start a JSON value. */
function looksLikeJsonLines(text: string): boolean {
  let n = 0;
  for (const line of text.split('\n', 50)) {
    const t = line.trim();
    if (t === '') continue;
    if (!t.startsWith('{') && !t.startsWith('[')) return false;
    if (++n >= 2) return true;
  }
  return false;
}

/**
 * Records of a whole JSON text whose layout is unknown: one document (event, array, CloudTrail
 * log file), or JSON Lines. A malformed document is one skip with `file:line` of the error.
 */
export function* recordsOfText(text: string, file: string): Generator<InputRecord> {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') {
    yield { kind: 'skip', skip: { reason: 'empty file', origin: file } };
    return;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (error) {
    if (looksLikeJsonLines(body)) {
      yield* recordsOfJsonLines(body, file);
      return;
    }
    const offset = errorOffset((error as Error).message);
    const where = offset === undefined ? file : `${file}:${lineOf(body, offset)}`;
    yield { kind: 'skip', skip: { reason: `malformed JSON file: ${(error as Error).message}`, origin: where } };
    return;
  }
  yield* recordsOfDocument(doc, file);
}

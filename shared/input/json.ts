import { salvageRecords } from './salvage.ts';
import type { InputRecord } from './types.ts';
import { unwrapRouted } from '../pipeline/routing.ts';

/** Line (1-based) of a character offset in a text, for `file:line` skip reasons. */
export function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Offset of the first JSON syntax error. V8 names it in some messages ("at position 123") but not
 * in others ("Unexpected token ','"), so a small validating scan finds it when the message does not.
 */
function errorOffset(message: string, text: string): number | undefined {
  const m = /position (\d+)/.exec(message);
  if (m) return Number(m[1]);
  return firstSyntaxError(text);
}

/** Recursive-descent JSON scan: returns the offset where the text stops being valid JSON. */
export function firstSyntaxError(text: string): number | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else fail();
  };
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) fail();
      i += text[i] === '\\' ? 2 : 1;
    }
    if (i >= text.length) fail();
    i++;
  };
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === '') fail();
    i += (m as RegExpExecArray)[0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        string();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return void i++;
        else fail();
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return void i++;
        else fail();
      }
    } else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else number();
  };
  try {
    value();
    ws();
    return i < text.length ? i : undefined;
  } catch (offset) {
    return typeof offset === 'number' ? Math.min(offset, text.length) : undefined;
  }
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
      yield { kind: 'skip', skip: { reason: 'CloudTrail log file whose Records is not an array', origin }, unreadable: 'file' };
      return;
    }
    for (let i = 0; i < records.length; i++) yield { kind: 'event', value: records[i], origin: `${origin}:Records[${i}]` };
    return;
  }
  // A Lambda on-failure destination record (what DetectFailureQueue holds): replay the original event.
  if (typeof doc === 'object' && doc !== null && 'requestPayload' in doc && 'requestContext' in doc) {
    yield { kind: 'event', value: unwrapRouted((doc as { requestPayload: unknown }).requestPayload).event, origin: `${origin}:requestPayload` };
    return;
  }
  // A detect rule's target input ({"trailwatch":{"route"},"event"}): replay runs every detection anyway.
  yield { kind: 'event', value: unwrapRouted(doc).event, origin };
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
    yield { kind: 'skip', skip: { reason: `malformed JSON line: ${(error as Error).message}`, origin: `${file}:${line}` }, unreadable: 'record' };
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
 * log file), or JSON Lines. A log file or array with corrupt records keeps every readable record
 * (`salvage.ts`), one skip per lost record; any other malformed document is one skip with
 * `file:line` of the error.
 */
export function* recordsOfText(text: string, file: string): Generator<InputRecord> {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') {
    yield { kind: 'skip', skip: { reason: 'empty file', origin: file }, unreadable: 'file' };
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
    // A log file or array with a corrupt record: keep every record that can be read.
    const salvaged = salvageRecords(body, file);
    if (salvaged && salvaged.some((r) => r.kind === 'event')) {
      yield* salvaged;
      return;
    }
    const offset = errorOffset((error as Error).message, body);
    const where = offset === undefined ? file : `${file}:${lineOf(body, offset)}`;
    yield { kind: 'skip', skip: { reason: `malformed JSON file: ${(error as Error).message}`, origin: where }, unreadable: 'file' };
    return;
  }
  yield* recordsOfDocument(doc, file);
}

import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair } from 'yaml';
import { checkTuningValue, type ParseOptions } from './check.ts';
import { TuningValidationError, type TuningProblem } from './errors.ts';
import type { TuningConfig } from './types.ts';

export { EMPTY_TUNING, expiryMs, type ParseOptions } from './check.ts';

export interface LoadedTuning {
  config: TuningConfig;
  /** Not errors, but worth a human's eye (an expired suppression, an unknown detection id). */
  warnings: TuningProblem[];
  file: string;
}

/**
 * Parses and validates a tuning file (YAML or JSON — JSON is YAML). Throws a TuningValidationError
 * listing every problem as `file:line:col`, so `trailwatch config validate`, the package step (which
 * converts the file to the JSON the Lambdas read) and replay reject the same files with the same
 * messages. The checks themselves are in check.ts (schema compiled ahead of time).
 */
export function parseTuning(text: string, file = 'trailwatch.config.yaml', options: ParseOptions = {}): LoadedTuning {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number, pointer: string, message: string): TuningProblem => {
    const pos = lines.linePos(offset);
    return { file, line: pos.line, column: pos.col, pointer, message };
  };
  const syntax = [...doc.errors, ...doc.warnings].map((e) => at(e.pos[0], '', e.message.split('\n')[0] ?? e.message));
  if (syntax.length > 0) throw new TuningValidationError(syntax);
  const value: unknown = doc.toJS() ?? {};
  const checked = checkTuningValue(value, options);
  const locate = (pointer: string, key?: string): number => offsetOf(doc, pointer === '/' ? '' : pointer, key);
  const warnings = checked.warnings.map((w) => at(locate(w.pointer), w.pointer, w.message));
  if (checked.config) return { config: checked.config, warnings, file };
  const problems = checked.problems.map((p) => at(locate(p.pointer, p.key), p.pointer, p.message));
  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  throw new TuningValidationError(problems);
}

/** Reads and parses a tuning file from disk (see `parseTuning`). */
export function loadTuningFile(path: string, options: ParseOptions = {}): LoadedTuning {
  return parseTuning(readFileSync(path, 'utf8'), path, options);
}

/** Source offset of the node at a JSON pointer (or of one of its keys); the nearest existing parent otherwise. */
function offsetOf(doc: Document, pointer: string, key?: string): number {
  const path = pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
  for (const segment of [...path, ...(key !== undefined ? [key] : [])]) {
    if (isMap(node)) {
      const pair = node.items.find((p: Pair) => String((p.key as { value?: unknown } | null)?.value ?? p.key) === segment);
      if (!pair) break;
      const isLast = segment === key;
      const target = (isLast ? pair.key : pair.value) as Node | null;
      offset = target?.range?.[0] ?? (pair.key as Node | null)?.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return offset;
}

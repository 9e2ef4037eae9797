import type { Skip } from '../model/types.ts';

/**
 * What an input reader yields: a value that should be an event (still unvalidated — the
 * normaliser decides), or a skip with a `file:line` origin when the input itself is unreadable.
 */
export type InputRecord = { kind: 'event'; value: unknown; origin: string } | { kind: 'skip'; skip: Skip };

/** Where records come from, counted for the summary. */
export interface InputStats {
  files: number;
  /** Directory entries ignored because their extension is not an event format. */
  ignored: number;
}

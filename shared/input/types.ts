import type { Skip } from '../model/types.ts';

/**
 * What an input reader yields: a value that should be an event (still unvalidated — the
 * normaliser decides), or a skip with a `file:line` origin when the input itself is unreadable.
 */
export type InputRecord =
  | { kind: 'event'; value: unknown; origin: string }
  | {
      kind: 'skip';
      skip: Skip;
      /**
       * Set when the input itself could not be read (not when it was read and is not an event):
       * `record` — one record or line is lost (counted as one skipped record); `file` — a whole
       * file, or its unread rest, is lost (a corrupt or truncated gzip, a malformed document, an
       * empty file, a path or folder with nothing to read). Replay names each and exits 3.
       */
      unreadable?: 'record' | 'file';
    };

/** Where records come from, counted for the summary. */
export interface InputStats {
  files: number;
  /** Directory entries ignored because their extension is not an event format. */
  ignored: number;
}

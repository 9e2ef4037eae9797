/**
 * Output that may be closed by the reader: `trailwatch replay events/ | head -1` closes the pipe
 * after one line, and every later write fails with EPIPE. That is the reader saying "enough", not
 * an error: the command stops writing to that stream, says nothing, and exits with the code its
 * results call for (so `--fail-on` still gates). Any other write error is still an error.
 */
export interface GuardedOutput {
  /** True once the reader has closed the stream. */
  readonly closed: boolean;
}

/** True for the errors a closed reader causes (EPIPE; a write after the stream was destroyed). */
export function isClosedOutput(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_WRITE_AFTER_END';
}

/**
 * Watches a stream for a closed reader. Without an 'error' listener Node turns the EPIPE into an
 * uncaught exception with a stack trace; with this one it only sets `closed`. Other errors are
 * rethrown on the next tick, as Node would have.
 */
export function guardOutput(stream: NodeJS.WritableStream): GuardedOutput {
  const state = { closed: false };
  const onError = (error: Error): void => {
    if (isClosedOutput(error)) state.closed = true;
    else
      process.nextTick(() => {
        throw error;
      });
  };
  stream.on('error', onError);
  return {
    get closed() {
      return state.closed;
    },
  };
}

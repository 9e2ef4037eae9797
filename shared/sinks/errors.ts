/**
 * A sink could not deliver some findings. Thrown so the Lambda invocation fails and the retry /
 * dead-letter path takes over; carries what failed for the log.
 */
export class SinkDeliveryError extends Error {
  constructor(
    readonly sink: string,
    readonly failures: Array<{ eventId?: string; detection?: string; code?: string; message?: string }>,
    message?: string,
  ) {
    super(message ?? `${sink}: ${failures.length} finding(s) not delivered (${failures.map((f) => f.code ?? 'error').join(', ')})`);
    this.name = 'SinkDeliveryError';
  }
}

/** One or more sinks failed during a delivery; each failure is kept. */
export class DeliveryError extends Error {
  constructor(readonly errors: Array<{ sink: string; error: Error }>) {
    super(`delivery failed in ${errors.map((e) => `${e.sink} (${e.error.message})`).join('; ')}`);
    this.name = 'DeliveryError';
  }
}

import type { StreamProcessor } from './types.ts';

/**
 * Options the replay CLI passes to stateful processors. Local replay always uses in-memory state.
 */
export interface ReplayProcessorOptions {
  /** Turn off the API-rate anomaly detector (e.g. for a quick replay of a few samples). */
  rates?: boolean;
  /**
   * Turn on the MFA-replacement judgement (shared/mfa): a user's MFA removal is low at once and
   * pages only if not replaced within 15 minutes. Off by default: the deployed detect function
   * does not run it yet, and replay must give the deployed answer.
   */
  mfaReplacement?: boolean;
}

/**
 * The stateful stream processors local replay runs after the stateless detections, in event-time
 * order. Each subsystem (e.g. API-rate anomalies) registers its factory here.
 */
export async function createReplayProcessors(options: ReplayProcessorOptions = {}): Promise<StreamProcessor[]> {
  const processors: StreamProcessor[] = [];
  if (options.rates !== false) {
    const { createRateProcessor } = await import('../rates/processor.ts');
    processors.push(createRateProcessor());
  }
  if (options.mfaReplacement === true) {
    const { MfaReplacementProcessor } = await import('../mfa/replacement.ts');
    processors.push(new MfaReplacementProcessor());
  }
  return processors;
}

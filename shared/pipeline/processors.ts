import type { StreamProcessor } from './types.ts';

/**
 * Options the replay CLI passes to stateful processors. Local replay always uses in-memory state.
 */
export interface ReplayProcessorOptions {
  /** Turn off the API-rate anomaly detector (e.g. for a quick replay of a few samples). */
  rates?: boolean;
  /**
   * The MFA-replacement judgement (shared/mfa): a user's MFA removal is low at once and pages only
   * if not replaced within 15 minutes. On by default, as deployed (the rates function runs it and
   * detect defers); `false` (`--no-mfa-replacement`) pages on every user MFA removal at once.
   */
  mfaReplacement?: boolean;
  /** The baseline behaviours (shared/baseline: new role assumer, new API, new sign-in location); on by default, as deployed in the rates function. */
  baseline?: boolean;
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
  if (options.baseline !== false) {
    const { BaselineProcessor } = await import('../baseline/processor.ts');
    processors.push(new BaselineProcessor());
  }
  if (options.mfaReplacement !== false) {
    const { MfaReplacementProcessor } = await import('../mfa/replacement.ts');
    processors.push(new MfaReplacementProcessor());
  }
  return processors;
}

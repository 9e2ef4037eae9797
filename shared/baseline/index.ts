/** Baseline behaviours: stateful judgement of what is new for a role, a principal or a person. */
export { BASELINE_BEHAVIOURS, BASELINE_IDS, NEW_API_FOR_PRINCIPAL, SIGNIN_FROM_NEW_LOCATION, UNUSUAL_ROLE_ASSUMPTION, type BaselineId } from './behaviours.ts';
export { defaultBaselineConfig, type BaselineConfig, type BaselineLimits } from './config.ts';
export { BaselineProcessor, type BaselineStats } from './processor.ts';
export { MemoryBaselineStore, type BaselineStore } from './store.ts';

/** The novelty model: routine versus novel, per actor and change kind (docs/tuning.md#novelty). */
export { actorOf, changeKindOf, networkOf, userAgentFamily } from './keys.ts';
export { hoursKeyOf, judge, NoveltyModel, observationOf, ROAMING_NETWORKS, SETTLE_MS, type NoveltyVerdict } from './model.ts';
export { MemoryNoveltyStore, MAX_VALUES_PER_DIMENSION, PROFILE_TTL_DAYS, type NoveltyProfile, type NoveltyStore, type Observation } from './store.ts';
export { DynamoNoveltyStore } from './dynamodb-store.ts';
export { HOURS_MIN_DAYS, HOURS_MIN_OBSERVATIONS, isHumanActor, offHoursOf, usualHours, type HoursProfile, type OffHours } from './hours.ts';

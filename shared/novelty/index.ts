/** The novelty model: routine versus novel, per actor and change kind (docs/tuning.md#novelty). */
export { actorOf, changeKindOf, networkOf, userAgentFamily } from './keys.ts';
export { judge, NoveltyModel, observationOf, ROAMING_NETWORKS, SETTLE_MS, type NoveltyVerdict } from './model.ts';
export { MemoryNoveltyStore, MAX_VALUES_PER_DIMENSION, PROFILE_TTL_DAYS, type NoveltyProfile, type NoveltyStore, type Observation } from './store.ts';
export { DynamoNoveltyStore } from './dynamodb-store.ts';

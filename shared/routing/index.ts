/** Routing: page / digest / summary / record for every finding, with a one-line reason (docs/tuning.md#routing). */
export { BASE_ROUTE, decideRoute, inherentRiskOf, type RouteDecision, type RouteInput } from './decide.ts';
export { createLocalRouter, expiredFinding, Router, SUPPRESSION_EXPIRED, type RouterOptions } from './router.ts';
export { backtest, formatBacktest, type BacktestDay, type BacktestSummary, type NoiseSource } from './backtest.ts';

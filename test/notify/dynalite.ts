// The notifier tests' local DynamoDB: the shared helper (tables are ACTIVE before use).
export { startDynalite, type LocalDynamo } from '../helpers/dynalite.ts';

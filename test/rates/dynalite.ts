// The rate tests' local DynamoDB: the shared helper (the table is ACTIVE before use).
export { startWithTable as startRateTable } from '../helpers/dynalite.ts';

// Fixture for test/helpers/summary-reporter.test.ts (not a test of the suite: `.fixture.ts`).
import { beforeAll, expect, it } from 'vitest';

beforeAll(() => {
  throw new Error('setup failed');
});

it('never runs', () => {
  expect(1).toBe(1);
});

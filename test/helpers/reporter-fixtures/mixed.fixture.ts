// Fixture for test/helpers/summary-reporter.test.ts (not a test of the suite: `.fixture.ts`).
import { expect, it } from 'vitest';

it('passes', () => {
  expect(1).toBe(1);
});

it('fails', () => {
  expect(1).toBe(2);
});

it.skip('is skipped', () => {});

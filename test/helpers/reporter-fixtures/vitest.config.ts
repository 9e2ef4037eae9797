// Config for test/helpers/summary-reporter.test.ts: runs the `.fixture.ts` files here with only
// the summary reporter, so its closing line is the last line of the output.
import { defineConfig } from 'vitest/config';
import SummaryReporter from '../summary-reporter.ts';

export default defineConfig({
  test: { include: ['**/*.fixture.ts'], reporters: [new SummaryReporter()] },
});

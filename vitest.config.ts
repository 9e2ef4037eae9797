import { defineConfig } from 'vitest/config';
import SummaryReporter from './test/helpers/summary-reporter.ts';

export default defineConfig({
  test: {
    environment: 'node',
    // Generous on purpose: no test asserts on time, and on a loaded 2-core machine the heaviest
    // tests (300 notifier round trips to dynalite, CLI processes) took 34 s of a 60 s limit.
    // Performance goals live in `npm run bench`.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    reporters: ['default', new SummaryReporter()],
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/integration/**'] } },
      // The moto tier (docs/architecture.md "Integration tier"): its global setup starts moto, and
      // runs only when a file of this tier is part of the run.
      // Deploying the stack to moto and draining every sample through it takes ~50 s of CPU (moto's own
      // included); on an oversubscribed machine (load 20 on 2 cores) that passed the 300 s hook limit.
      { extends: true, test: { name: 'moto', include: ['test/integration/**/*.test.ts'], globalSetup: ['test/integration/moto-global-setup.ts'], testTimeout: 900_000, hookTimeout: 900_000 } },
    ],
  },
});

#!/usr/bin/env node
// `npx trailwatch …`: runs the TypeScript CLI in-process through tsx's loader (a runtime dependency),
// so the CLI needs no build step and runs exactly the code the tests run.
import { register } from 'tsx/esm/api';

register();
const { main, reportFatal } = await import('./main.ts');
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  process.exitCode = reportFatal(error);
}

// Worker-thread entry of parallel replay when no prebuilt bundle can be had (worker-bundle.ts):
// loads the TypeScript worker through tsx's loader (a runtime dependency), as
// shared/cli/trailwatch.mjs does for the CLI. Slower to start, the same code.
import { register } from 'tsx/esm/api';

register();
await import('./replay-worker.ts');

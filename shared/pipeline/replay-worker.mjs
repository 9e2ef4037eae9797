// Worker-thread entry of parallel replay (shared/pipeline/replay-workers.ts): loads the TypeScript
// worker through tsx's loader (a runtime dependency), as shared/cli/trailwatch.mjs does for the CLI.
import { register } from 'tsx/esm/api';

register();
await import('./replay-worker.ts');

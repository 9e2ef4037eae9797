#!/usr/bin/env node
// `npx trailwatch …`: runs the CLI from its prebuilt esbuild bundle when the cache has one for the
// current sources (shared/pipeline/bundle-cache.mjs: found by a content hash, no TypeScript loader
// started); otherwise registers tsx's loader (a runtime dependency), builds the bundle for the next
// run and runs it, or runs the TypeScript sources through tsx when no bundle can be had. The same
// code either way: the CLI needs no build step. TRAILWATCH_BUNDLE=0 always runs the sources.
import { cachedBundle, projectRoot } from '../pipeline/bundle-cache.mjs';

let url = await cachedBundle(projectRoot(import.meta.url), 'trailwatch-cli');
if (!url) {
  const { register } = await import('tsx/esm/api');
  register();
  const { bundleEntry } = await import('../pipeline/worker-bundle.ts');
  url = (await bundleEntry('trailwatch-cli')).url;
}
const { main, reportFatal } = await import(url.href);
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  process.exitCode = reportFatal(error);
}

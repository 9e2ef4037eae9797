// esbuild plugins for serverless-esbuild (`custom.esbuild.plugins` in serverless.yml), loaded with
// require(). One plugin: after a function's bundle is built, write the tuning file as the JSON the
// Lambdas read (trailwatch.config.json at the root of every zip; shared/tuning/deployed.ts), so no
// function loads a YAML parser or Ajv's compiler at cold start. The conversion validates the file
// with every detection id known: an invalid trailwatch.config.yaml fails `serverless package`.
// The converter is TypeScript, loaded through tsx's ESM API (as scripts/event-rules.cjs does).
'use strict';
const { dirname, join } = require('node:path');

let converted; // one conversion per package run, shared by every function's build

module.exports = () => [
  {
    name: 'trailwatch-tuning-json',
    setup(build) {
      build.onEnd(async (result) => {
        if (result.errors.length > 0) return;
        const outdir = build.initialOptions.outdir;
        if (!outdir) throw new Error('trailwatch-tuning-json: esbuild outdir is not set');
        // serverless-esbuild builds functions/<name>.ts into <build>/functions: the zip root is its parent.
        const root = dirname(outdir);
        converted ??= (async () => {
          const { tsImport } = await import('tsx/esm/api');
          return tsImport('./tuning-json.ts', __filename);
        })();
        const { convertTuning } = await converted;
        convertTuning(join(__dirname, '..', 'trailwatch.config.yaml'), join(root, 'trailwatch.config.json'));
      });
    },
  },
];

// esbuild plugins for serverless-esbuild (`custom.esbuild.plugins` in serverless.yml), loaded with
// require() and called with the framework's `serverless` object. One plugin, two jobs:
//
// 1. After a function's bundle is built, write the tuning file as the JSON
//    the Lambdas read (trailwatch.config.json at the root of every zip; shared/tuning/deployed.ts),
//    so no function loads a YAML parser or Ajv's compiler at cold start. The conversion validates
//    the file with every detection id known: an invalid trailwatch.config.yaml fails the package.
//    The converter is TypeScript, loaded through tsx's ESM API (as scripts/event-rules.cjs does).
//
// 2. A handler file that exactly one function uses (detect, heartbeat, …) is built with
//    esbuild `splitting`, so code reached only through a dynamic import() — the IAM client of the
//    policy enricher, the SDK's credential providers other than environment variables — lands in
//    chunks that a cold start never reads (docs/architecture.md "Bundling"). Its output goes to
//    `__only_<function>/functions/` in the build folder: serverless-esbuild puts such files in that
//    function's zip only and strips the prefix, so the zip holds `functions/<name>.mjs` plus
//    `functions/chunks/*.mjs`, and no other zip carries them. A file several functions share
//    (notify; rates with mfaSweep) stays one file.
//
// 3. The data files the code reads on first use instead of bundling them (shared/data-file.ts:
//    the managed-policy snapshot, AWS's IP ranges, the IP-to-country table) are copied to `data/`
//    at the root of the zip of each function whose bundle names them (a reader asks for
//    `new URL('./data/<name>', import.meta.url)`, a string esbuild keeps): detect gets the policy
//    snapshot and the IP ranges, rates the country table, notify none. They go under
//    `__only_<function>/data/`, which serverless-esbuild puts in that function's zip only.
'use strict';
const { copyFileSync, mkdirSync, readFileSync } = require('node:fs');
const { basename, dirname, join, relative, sep } = require('node:path');

/** Read at run time through shared/data-file.ts; the names must stay unique (one `data/` folder). */
const DATA_FILES = ['shared/policy/data/managed-policy-analysis.json', 'shared/detections/data/aws-ip-ranges.json', 'shared/baseline/data/ip-country.json'];

let converted; // one conversion per package run, shared by every function's build

/** Function aliases per handler file (`functions/detect.handler` -> `functions/detect`). */
function aliasesByFile(serverless) {
  const byFile = new Map();
  const functions = (serverless && serverless.service && serverless.service.functions) || {};
  for (const [alias, fn] of Object.entries(functions)) {
    const handler = fn && typeof fn.handler === 'string' ? fn.handler : undefined;
    if (!handler) continue;
    const file = handler.slice(0, handler.lastIndexOf('.'));
    byFile.set(file, [...(byFile.get(file) || []), alias]);
  }
  return byFile;
}

module.exports = (serverless) => {
  const byFile = aliasesByFile(serverless);
  return [
    {
      name: 'trailwatch-package',
      setup(build) {
        const options = build.initialOptions;
        if (!options.outdir) throw new Error('trailwatch-package: esbuild outdir is not set');
        // serverless-esbuild builds functions/<name>.ts into <build>/functions: the zip root is its parent.
        const root = dirname(options.outdir);

        // 2. splitting for a handler file exactly one function uses.
        const entries = Array.isArray(options.entryPoints) ? options.entryPoints : [];
        const file = entries.length === 1 && typeof entries[0] === 'string' ? entries[0].replace(/\.[cm]?[jt]s$/, '').split(sep).join('/') : undefined;
        const aliases = (file && byFile.get(file)) || [];
        // The build's own output files, to see which data files its code names (3.).
        options.metafile = true;
        if (aliases.length === 1 && options.format === 'esm') {
          options.splitting = true;
          options.chunkNames = 'chunks/[name]-[hash]';
          options.outdir = join(root, `__only_${aliases[0]}`, relative(root, options.outdir));
        }

        // 1. the tuning JSON at the root of every zip.
        build.onEnd(async (result) => {
          if (result.errors.length > 0) return;
          converted ??= (async () => {
            const { tsImport } = await import('tsx/esm/api');
            return tsImport('./tuning-json.ts', __filename);
          })();
          const { convertTuning } = await converted;
          convertTuning(join(__dirname, '..', 'trailwatch.config.yaml'), join(root, 'trailwatch.config.json'));
          // 3. the lazily read data files, each in the zips of the functions whose code names it.
          const cwd = options.absWorkingDir || process.cwd();
          const code = Object.keys((result.metafile && result.metafile.outputs) || {})
            .filter((out) => out.endsWith('.mjs') || out.endsWith('.js'))
            .map((out) => readFileSync(join(cwd, out), 'utf8'));
          if (code.length === 0) throw new Error('trailwatch-package: no output files in the esbuild metafile');
          for (const data of DATA_FILES) {
            const name = basename(data);
            if (!code.some((text) => text.includes(`/data/${name}`))) continue;
            if (aliases.length === 0) throw new Error(`trailwatch-package: ${file} reads data/${name} but no function of serverless.yml has it as its handler file`);
            for (const alias of aliases) {
              mkdirSync(join(root, `__only_${alias}`, 'data'), { recursive: true });
              copyFileSync(join(__dirname, '..', data), join(root, `__only_${alias}`, 'data', name));
            }
          }
        });
      },
    },
  ];
};

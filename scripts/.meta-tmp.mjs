import { build } from 'esbuild';
import { writeFileSync } from 'node:fs';
const BANNER = "import { createRequire as __twCreateRequire } from 'node:module'; const require = __twCreateRequire(import.meta.url);";
const entry = process.argv[2]; const out = process.argv[3];
const r = await build({ entryPoints: [entry], bundle: true, minify: process.env.NOMIN ? false : true, platform: 'node', target: 'node24', format: 'esm', outfile: out, banner: { js: BANNER }, mainFields: ['module', 'main'], logLevel: 'silent', metafile: true });
writeFileSync(out + '.meta.json', JSON.stringify(r.metafile));
const o = Object.values(r.metafile.outputs)[0];
const groups = {};
for (const [f, v] of Object.entries(o.inputs)) {
  let g = f.replace(/^node_modules\/((@[^/]+\/)?[^/]+).*/, '$1');
  if (!f.startsWith('node_modules')) g = f.split('/').slice(0, 2).join('/');
  groups[g] = (groups[g] ?? 0) + v.bytesInOutput;
}
const total = Object.values(groups).reduce((a, b) => a + b, 0);
console.log('total', (o.bytes/1024).toFixed(0), 'KB');
for (const [g, b] of Object.entries(groups).sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log((b/1024).toFixed(1).padStart(8), g);

/**
 * Measures `trailwatch replay --slack-webhook` pacing in real time: starts a fake Slack incoming
 * webhook on 127.0.0.1 (answers 200 "ok", like Slack), runs the real CLI against it over the given
 * paths, and prints what replay announced, the number of posts, the gaps between them and the
 * achieved rate. Not part of `npm test` (it takes about 1.1 s per alert).
 *
 *   npx tsx scripts/measure-slack-pacing.ts ../shared/external/stratus
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const paths = process.argv.slice(2);
if (paths.length === 0) {
  process.stderr.write('usage: tsx scripts/measure-slack-pacing.ts <replay path...>\n');
  process.exit(1);
}

const arrivals: number[] = [];
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    arrivals.push(performance.now());
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T000/B000/fake`;

const started = performance.now();
const child = spawn(process.execPath, ['shared/cli/trailwatch.mjs', 'replay', '--quiet', '--format', 'json', '--slack-webhook', url, ...paths], { stdio: ['ignore', 'ignore', 'pipe'] });
let stderr = '';
child.stderr.on('data', (c: Buffer) => {
  stderr += c.toString('utf8');
});
const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
const ended = performance.now();
server.close();

const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]!).sort((a, b) => a - b);
const q = (p: number): number => gaps[Math.min(gaps.length - 1, Math.floor(p * gaps.length))] ?? Number.NaN;
const span = (arrivals.at(-1)! - arrivals[0]!) / 1000;
const lines = stderr.split('\n').filter((l) => l.startsWith('slack:'));
process.stdout.write(
  [
    ...lines.map((l) => `replay said: ${l}`),
    `exit code ${code}`,
    `posts received: ${arrivals.length}`,
    `first to last post: ${span.toFixed(1)} s; whole run ${((ended - started) / 1000).toFixed(1)} s`,
    `gap between posts (ms): min ${q(0).toFixed(0)}, median ${q(0.5).toFixed(0)}, max ${gaps.at(-1)?.toFixed(0)}; ${gaps.filter((g) => g < 1000).length} of ${gaps.length} gaps under 1 s`,
    `rate: ${((arrivals.length - 1) / span).toFixed(3)} posts/s`,
    '',
  ].join('\n'),
);

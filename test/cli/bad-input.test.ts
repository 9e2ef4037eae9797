import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPLAY_EXIT } from '../../shared/cli/replay.ts';
import { POLICY_EXIT } from '../../shared/cli/policy.ts';
import type { Finding } from '../../shared/model/types.ts';
import { EVENTS_DIR, ROOT } from '../helpers/events.ts';
import { deepBucketPolicyText, deepPolicyEvent, sample } from '../helpers/hostile.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real CLI through its launcher, as a user runs it. `firstLineOnly` closes stdout after one line, like `| head -1`. */
function cli(args: string[], options: { firstLineOnly?: boolean } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'shared', 'cli', 'trailwatch.mjs'), ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (options.firstLineOnly && stdout.includes('\n')) {
        stdout = stdout.slice(0, stdout.indexOf('\n') + 1);
        child.stdout.destroy();
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const lines = (stdout: string): Finding[] => stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Finding);

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'trailwatch-bad-input-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('a policy nested 5,000 levels deep costs no other finding', () => {
  let run: Run;
  beforeAll(async () => {
    const good = JSON.stringify(sample('root-signin', 'positive-success-no-mfa'));
    const file = join(tmp, 'deep.jsonl');
    writeFileSync(file, [JSON.stringify(deepPolicyEvent(5000, 'deep-inline')), good, deepBucketPolicyText(5000, 'deep-bucket')].join('\n'));
    run = await cli(['replay', file, '--format', 'json', '--no-rates']);
  }, 300_000);

  it('replay --format json prints every finding (it printed nothing for the whole file)', () => {
    expect(run.code).toBe(REPLAY_EXIT.ok);
    const findings = lines(run.stdout);
    expect(findings.map((f) => `${f.detection}:${f.eventId}`).sort()).toEqual(['policy-changed:deep-bucket', 'policy-changed:deep-inline', 'root-signin:0b6f4d2e-8a1c-4e57-b3f2-6d9e0c7a1b02']);
  });

  it('the deep documents are refused at decoding, and the finding says so', () => {
    for (const f of lines(run.stdout).filter((x) => x.detection === 'policy-changed')) {
      expect(f.title).toMatch(/nests deeper than 32 levels/);
      expect(JSON.stringify(f).length).toBeLessThan(20_000);
    }
  });
});

describe('unreadable input is never a clean pass', () => {
  it('a corrupt file exits 3 even with --fail-on, and the summary names it', async () => {
    const file = join(tmp, 'trail.json.gz');
    writeFileSync(file, 'not gzip');
    const run = await cli(['replay', file, '--fail-on', 'high', '--no-rates']);
    expect(run.code).toBe(REPLAY_EXIT.unreadable);
    expect(run.stdout).toMatch(/1 unreadable input\(s\)/);
    expect(run.stdout).toMatch(/could not be read \(exit code 3\)[\s\S]*trail\.json\.gz\s+file\s+corrupt gzip/);
  }, 300_000);

  it('a truncated .gz: the records before the cut are replayed, and it exits 3', async () => {
    const base = sample('root-signin', 'positive-success-no-mfa').detail;
    const records = Array.from({ length: 300 }, (_, i) => ({ ...base, eventID: `t-${i}`, sourceIPAddress: `203.0.113.${i % 250}`, userAgent: `agent ${Math.cos(i).toString(36)}` }));
    const gz = gzipSync(JSON.stringify({ Records: records }));
    const file = join(tmp, 'truncated.json.gz');
    writeFileSync(file, gz.subarray(0, Math.floor(gz.length / 2)));
    const run = await cli(['replay', file, '--format', 'json', '--no-rates']);
    expect(run.code).toBe(REPLAY_EXIT.unreadable);
    expect(lines(run.stdout).length).toBeGreaterThan(50);
    expect(run.stderr).toMatch(/truncated gzip/);
  }, 300_000);

  it('a folder whose files have no recognised extension exits 3 and says so (it said "0 file(s)" and passed)', async () => {
    const dir = join(tmp, 'notes');
    mkdirSync(dir);
    writeFileSync(join(dir, 'trail.log'), '{}');
    const run = await cli(['replay', dir, '--fail-on', 'low']);
    expect(run.code).toBe(REPLAY_EXIT.unreadable);
    expect(run.stdout).toMatch(/folder holds no event files .*1 other file\(s\) ignored/);
  }, 300_000);

  it('a log file with one corrupt record: the other 19 are replayed, the skip is one record', async () => {
    const base = sample('root-signin', 'positive-success-no-mfa').detail;
    const records = Array.from({ length: 20 }, (_, i) => ({ ...base, eventID: `c-${i}` }));
    const file = join(tmp, 'one-corrupt.json');
    writeFileSync(file, JSON.stringify({ Records: records }).replace('"c-7"', '"c-7'));
    const run = await cli(['replay', file, '--format', 'json', '--no-rates']);
    expect(run.code).toBe(REPLAY_EXIT.unreadable);
    expect(lines(run.stdout)).toHaveLength(19);
    expect(run.stderr).toMatch(/19 event\(s\) analysed, 1 skipped/);
  }, 300_000);
});

describe('output closed by the reader (`trailwatch replay … | head -1`)', () => {
  let big: string;
  beforeAll(() => {
    const base = sample('root-signin', 'positive-success-no-mfa');
    big = join(tmp, 'many.jsonl');
    writeFileSync(big, Array.from({ length: 3000 }, (_, i) => JSON.stringify({ ...base, detail: { ...base.detail, eventID: `p-${i}` } })).join('\n'));
  });

  it('exits quietly, without an EPIPE stack trace', async () => {
    const run = await cli(['replay', big, '--no-rates'], { firstLineOnly: true });
    expect(run.stdout).toMatch(/^CRITICAL/);
    expect(run.stderr).not.toMatch(/EPIPE|Unhandled|at .*\.ts:\d+/);
    expect(run.code).toBe(REPLAY_EXIT.ok);
  }, 300_000);

  it('keeps --fail-on honest: the findings were still found', async () => {
    const run = await cli(['replay', big, '--no-rates', '--format', 'json', '--fail-on', 'high'], { firstLineOnly: true });
    expect(lines(run.stdout)).toHaveLength(1);
    expect(run.stderr).not.toMatch(/EPIPE/);
    expect(run.code).toBe(REPLAY_EXIT.failOn);
  }, 300_000);
});

describe('the CLI help says what the CLI does', () => {
  it('top-level help lists every command and subcommand, including policy validate', async () => {
    const run = await cli(['--help']);
    expect(run.code).toBe(0);
    for (const word of ['replay', 'policy analyze', 'policy validate', 'policy evaluate', '--version']) expect(run.stdout).toContain(word);
    const none = await cli([]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('usage: trailwatch');
    const version = await cli(['--version']);
    expect(version.stdout).toMatch(/^trailwatch \d+\.\d+\.\d+/);
  }, 300_000);

  it('replay --help lists each exit code the replay really returns', async () => {
    const help = (await cli(['replay', '--help'])).stdout;
    for (const [name, code] of Object.entries(REPLAY_EXIT)) expect(help, name).toMatch(new RegExp(`^\\s+${code}\\s+\\S`, 'm'));
    // 1: usage; the other codes are produced by the tests above.
    expect((await cli(['replay', '--format', 'yaml', EVENTS_DIR])).code).toBe(REPLAY_EXIT.usage);
  }, 300_000);

  it('replay -v logs every file it reads (it printed nothing)', async () => {
    const run = await cli(['replay', '-v', join(EVENTS_DIR, 'root-signin'), '--format', 'json']);
    expect(run.stderr).toMatch(/debug: reading file .*positive-failure\.json/);
    expect(run.stderr).toMatch(/debug: processor flushed .*api-rate/);
  }, 300_000);

  it('policy help exit codes match: analyze on a file that is not JSON exits 1', async () => {
    const help = (await cli(['policy', '--help'])).stdout;
    for (const code of Object.values(POLICY_EXIT)) expect(help).toMatch(new RegExp(`^\\s+${code}\\s+\\S`, 'm'));
    const notJson = join(tmp, 'notes.txt');
    writeFileSync(notJson, 'this is not a policy');
    const run = await cli(['policy', 'analyze', notJson]);
    expect(run.code).toBe(POLICY_EXIT.input);
    expect(run.stderr).toMatch(/invalid JSON/);
    expect((await cli(['policy', 'validate', notJson])).code).toBe(POLICY_EXIT.finding);
  }, 300_000);
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { run } from '../../shared/cli/policy.ts';
import { witnessArgs } from '../../shared/policy/index.ts';
import type { Analysis } from '../../shared/policy/index.ts';
import { ROOT } from '../helpers/events.ts';
import { run as runCommand } from '../helpers/run.ts';

const dir = mkdtempSync(join(tmpdir(), 'trailwatch-policy-cli-'));
function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
}
const doc = (...Statement: unknown[]) => ({ Version: '2012-10-17', Statement });

async function cli(argv: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  const code = await run(argv, { stdout, stderr, readStdin: async () => stdin });
  return { code, out, err };
}

const admin = file('admin.json', doc({ Sid: 'All', Effect: 'Allow', Action: '*', Resource: '*' }));
const lambdaPath = file('lambda.json', doc({ Effect: 'Allow', Action: ['iam:PassRole', 'lambda:CreateFunction', 'lambda:InvokeFunction'], Resource: '*' }));
const s3only = file('scp-s3.json', doc({ Effect: 'Allow', Action: 's3:*', Resource: '*' }));
const fullAccess = file('scp-full.json', [doc({ Effect: 'Allow', Action: '*', Resource: '*' })]);
const boundary = file('boundary.json', doc({ Effect: 'Allow', Action: 'ec2:*', Resource: '*' }));
const bucketPolicy = file('bucket.json', doc({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }));
const broken = file('broken.json', '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow",}\n  ]\n}');

describe('trailwatch policy analyze', () => {
  it('prints readable findings with statement and severity', async () => {
    const r = await cli(['analyze', admin]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('CRITICAL admin-access (statement 0 "All")');
    expect(r.out).toContain('worst severity critical');
  });
  it('names the escalation path; --format json is machine-readable', async () => {
    const r = await cli(['analyze', lambdaPath, '--format', 'json']);
    const analysis = JSON.parse(r.out);
    const f = analysis.findings.find((x: { id: string }) => x.id === 'privilege-escalation');
    expect(f.message).toContain('iam:PassRole + lambda:CreateFunction + lambda:InvokeFunction');
  });
  it('reads stdin with -, honours --kind and --account, and --fail-on sets the exit code', async () => {
    const text = JSON.stringify(doc({ Effect: 'Allow', Principal: { AWS: '444455556666' }, Action: 'sts:AssumeRole' }));
    const r = await cli(['analyze', '-', '--kind', 'trust', '--account', '111122223333', '--fail-on', 'medium'], text);
    expect(r.out).toContain('444455556666');
    expect(r.out).toContain('sts:ExternalId');
    expect(r.code).toBe(2);
  });
  it('--previous reports only what is new', async () => {
    const r = await cli(['analyze', admin, '--previous', admin]);
    expect(r.out).toContain('0 findings');
  });
  it('a file that is not JSON is an input error (exit 1, as the help says) naming line and column', async () => {
    const r = await cli(['analyze', broken]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/invalid JSON.*line 4, column \d+/);
    const previous = await cli(['analyze', admin, '--previous', broken]);
    expect(previous.code).toBe(1);
  });
  it('usage errors exit 1 with a reason', async () => {
    expect((await cli(['analyze'])).code).toBe(1);
    const bad = await cli(['analyze', admin, '--kind', 'bogus']);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('--kind must be one of');
    const missing = await cli(['analyze', join(dir, 'nope.json')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('ENOENT');
    expect((await cli(['frobnicate'])).code).toBe(1);
    expect((await cli(['analyze', admin, '--what'])).err).toContain("Unknown option '--what'");
  });
});

describe('trailwatch policy validate', () => {
  it('lists Access-Analyzer-style issues and exits 2 on errors', async () => {
    const r = await cli(['validate', broken]);
    expect(r.code).toBe(2);
    expect(r.out).toContain('invalid-json');
    const ok = await cli(['validate', admin]);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('valid');
  });
});

describe('witnesses: every analyze finding that claims a request is allowed can be re-run with evaluate', () => {
  it('identity findings: the printed witness command and the JSON witnesses evaluate to Allow', async () => {
    const text = await cli(['analyze', lambdaPath]);
    expect(text.out).toMatch(/witness: trailwatch policy evaluate --policy \S+lambda\.json --action iam:PassRole/);
    const analysis = JSON.parse((await cli(['analyze', lambdaPath, '--format', 'json'])).out) as Analysis;
    const witnesses = analysis.findings.flatMap((f) => f.witnesses ?? []);
    expect(witnesses.length).toBeGreaterThan(0);
    for (const w of witnesses) expect((await cli(['evaluate', ...witnessArgs(w, lambdaPath, 'identity')])).code, JSON.stringify(w)).toBe(0);
  });
  it('resource findings (public, cross-account) re-run with --resource-policy and --caller-admin', async () => {
    const shared = file('shared-bucket.json', doc({ Effect: 'Allow', Principal: { AWS: ['*', '444455556666'] }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }));
    const analysis = JSON.parse((await cli(['analyze', shared, '--kind', 's3-bucket', '--account', '111122223333', '--format', 'json'])).out) as Analysis;
    expect(analysis.findings.map((f) => f.id)).toEqual(expect.arrayContaining(['public-access', 'cross-account-access']));
    for (const w of analysis.findings.flatMap((f) => f.witnesses ?? [])) {
      const r = await cli(['evaluate', ...witnessArgs(w, shared, 'resource')]);
      expect(r.code, `${JSON.stringify(w)} ${r.out}`).toBe(0);
    }
    const zoned = JSON.parse((await cli(['analyze', shared, '--kind', 's3-bucket', '--account', '111122223333', '--trusted-account', '444455556666', '--format', 'json'])).out) as Analysis;
    expect(zoned.findings.map((f) => f.id)).not.toContain('cross-account-access');
  });
});

describe('trailwatch policy evaluate', () => {
  const base = ['--principal', 'arn:aws:iam::111122223333:user/alice'];
  it('Allow with the deciding statement', async () => {
    const r = await cli(['evaluate', '--policy', admin, '--action', 's3:GetObject', '--resource', 'arn:aws:s3:::b/k', ...base]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Allow: arn:aws:iam::111122223333:user\/alice -> s3:GetObject/);
    expect(r.out).toContain('statement 0 "All"');
  });
  it('SCP levels and the boundary limit', async () => {
    const scp = await cli(['evaluate', '--policy', admin, '--scp', fullAccess, '--scp', s3only, '--action', 'ec2:RunInstances', '--resource', '*', ...base]);
    expect(scp.code).toBe(2);
    expect(scp.out).toContain('ImplicitDeny');
    expect(scp.out).toContain('level 1');
    const b = await cli(['evaluate', '--policy', admin, '--boundary', boundary, '--action', 's3:GetObject', '--resource', '*', ...base, '--format', 'json']);
    expect(JSON.parse(b.out).decision).toBe('ImplicitDeny');
  });
  it('resource policy and context', async () => {
    const anon = await cli(['evaluate', '--resource-policy', bucketPolicy, '--action', 's3:GetObject', '--resource', 'arn:aws:s3:::b/k', '--resource-account', '111122223333']);
    expect(anon.out).toContain('Allow: anonymous');
    const cond = file('cond.json', doc({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' }, 'ForAllValues:StringEquals': { 'aws:TagKeys': ['a', 'b'] } } }));
    const inside = await cli(['evaluate', '--policy', cond, '--action', 's3:GetObject', '--resource', '*', ...base, '--context', 'aws:SourceIp=10.1.2.3', '--context', 'aws:TagKeys=a', '--context', 'aws:TagKeys=b']);
    expect(inside.code).toBe(0);
    const outside = await cli(['evaluate', '--policy', cond, '--action', 's3:GetObject', '--resource', '*', ...base, '--context', 'aws:SourceIp=8.8.8.8']);
    expect(outside.code).toBe(2);
  });
  it('missing --action is a usage error; a broken policy is a clean error', async () => {
    expect((await cli(['evaluate', '--policy', admin, '--resource', '*'])).code).toBe(1);
    const r = await cli(['evaluate', '--policy', file('notjson.json', '{oops'), '--action', 's3:GetObject', '--resource', '*']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('invalid JSON');
    expect((await cli(['evaluate', '--context', 'novalue', '--action', 'a:b', '--resource', '*'])).err).toContain('key=value');
  });
});

describe('end to end through the real launcher', () => {
  it('node shared/cli/trailwatch.mjs policy analyze', async () => {
    const r = await runCommand(process.execPath, [join(ROOT, 'shared/cli/trailwatch.mjs'), 'policy', 'analyze', lambdaPath, '--fail-on', 'high'], { cwd: ROOT });
    expect(r.stdout).toContain('privilege-escalation');
    expect(r.status).toBe(2);
  });
});

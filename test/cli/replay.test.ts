import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalize } from '../../shared/model/normalize.ts';
import { detections } from '../../shared/detections/index.ts';
import type { Finding } from '../../shared/model/types.ts';
import { EVENTS_DIR, EXTERNAL_DIR, ROOT, hasExternal, readJson } from '../helpers/events.ts';

/** Runs the real CLI (the tsx launcher) the way a user does. */
function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'shared', 'cli', 'trailwatch.mjs'), 'replay', ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** stdout of --format json: every non-empty line must be one JSON finding. */
function jsonLines(stdout: string): Finding[] {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Finding);
}

const REQUIRED = ['detection', 'severity', 'eventId', 'eventName', 'principal', 'account', 'region', 'time', 'title', 'details'] as const;

function envelopeOf(file: string): Record<string, unknown> {
  return readJson(file) as Record<string, unknown>;
}

const rootSigninDetail = () => envelopeOf(join(EVENTS_DIR, 'root-signin', 'positive-success-no-mfa.json'))['detail'] as Record<string, unknown>;
const iamSigninDetail = () => envelopeOf(join(EVENTS_DIR, 'root-signin', 'negative-iam-user-signin.json'))['detail'] as Record<string, unknown>;

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'trailwatch-replay-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('trailwatch replay events/ --format json', () => {
  let run: Awaited<ReturnType<typeof cli>>;
  beforeAll(async () => {
    run = await cli(['events/', '--format', 'json']);
  }, 300_000);

  it('exits 0 and prints only JSON findings on stdout, the summary on stderr', () => {
    expect(run.code).toBe(0);
    const findings = jsonLines(run.stdout);
    expect(findings.length).toBeGreaterThan(0);
    for (const f of findings) for (const key of REQUIRED) expect(f, key).toHaveProperty(key);
    expect(run.stderr).toMatch(/event\(s\) analysed/);
  });

  it('fires each detection on its positive samples and not on its negatives', () => {
    const findings = jsonLines(run.stdout);
    const fired = new Set(findings.map((f) => `${f.detection}\u0000${f.eventId}`));
    for (const d of detections) {
      const dir = join(EVENTS_DIR, d.id);
      let files: string[] = [];
      try {
        files = readdirSync(dir).filter((f) => f.endsWith('.json'));
      } catch {
        continue;
      }
      for (const f of files) {
        // The normalised id: a CloudTrail eventID, or a detector finding's id (aws-security-findings).
        const normalised = normalize(envelopeOf(join(dir, f)));
        const id = normalised.ok ? normalised.event.id : `unnormalisable ${f}`;
        // A detection that needs tuning is inactive at zero configuration (replay-tuning.test.ts runs it with --config).
        if (f.startsWith('positive-')) expect(fired.has(`${d.id}\u0000${id}`), `${d.id}/${f}`).toBe(d.needsTuning === undefined);
        if (f.startsWith('negative-')) expect(fired.has(`${d.id}\u0000${id}`), `${d.id}/${f}`).toBe(false);
      }
    }
  });

  it('prints findings in event-time order', () => {
    const times = jsonLines(run.stdout).map((f) => f.time);
    expect(times).toEqual([...times].sort());
  });
});

describe('trailwatch replay: input formats and bad input', () => {
  let run: Awaited<ReturnType<typeof cli>>;
  let dir: string;
  beforeAll(async () => {
    dir = join(tmp, 'mixed');
    mkdirSync(join(dir, 'nested', 'deeper'), { recursive: true });
    const root = rootSigninDetail();
    // A CloudTrail log file exactly as delivered to S3: gzip, {"Records":[...]}.
    writeFileSync(
      join(dir, 'nested', 'deeper', '111122223333_CloudTrail_us-east-1_20261120T0710Z_abc.json.gz'),
      gzipSync(JSON.stringify({ Records: [{ ...root, eventID: 'gz-root-1' }, iamSigninDetail()] })),
    );
    // JSON Lines with a malformed third line and a blank line.
    writeFileSync(join(dir, 'stream.jsonl'), [JSON.stringify({ ...root, eventID: 'jsonl-root-1' }), '', '{"eventID": "broken", ', JSON.stringify({ ...root, eventID: 'jsonl-root-2' })].join('\n'));
    // A truncated JSON file.
    writeFileSync(join(dir, 'truncated.json'), '{\n  "Records": [\n    {"eventID": "x",\n');
    // An array of EventBridge envelopes, one of them not a CloudTrail event.
    writeFileSync(join(dir, 'array.json'), JSON.stringify([{ 'detail-type': 'EC2 Instance State-change Notification', source: 'aws.ec2', detail: {} }, { ...root, eventID: 'array-root-1' }]));
    // A corrupt gzip and a file that is not an event format (ignored).
    writeFileSync(join(dir, 'corrupt.json.gz'), 'this is not gzip');
    writeFileSync(join(dir, 'README.md'), '# not events');
    // The same record twice (CloudTrail delivers at least once): counted once.
    writeFileSync(join(dir, 'dup.json'), JSON.stringify([{ ...root, eventID: 'dup-1' }, { ...root, eventID: 'dup-1' }]));
    run = await cli([dir, '--format', 'json', '--no-rates']);
  }, 300_000);

  it('reads gzip CloudTrail log files, JSON Lines, arrays, recursively, and keeps going past bad input', () => {
    // Everything readable is read; the unreadable parts make it exit 3, never a clean 0.
    expect(run.code).toBe(3);
    const ids = jsonLines(run.stdout)
      .filter((f) => f.detection === 'root-signin')
      .map((f) => f.eventId)
      .sort();
    expect(ids).toEqual(['array-root-1', 'dup-1', 'gz-root-1', 'jsonl-root-1', 'jsonl-root-2']);
  });

  it('names each bad input with file:line and a reason, and counts skips by reason', () => {
    expect(run.stderr).toMatch(/stream\.jsonl:3/);
    expect(run.stderr).toMatch(/malformed JSON line/);
    expect(run.stderr).toMatch(/truncated\.json:\d+/);
    expect(run.stderr).toMatch(/malformed JSON file/);
    expect(run.stderr).toMatch(/corrupt gzip/);
    expect(run.stderr).toMatch(/unsupported detail-type "EC2 Instance State-change Notification"\s+1/);
    expect(run.stderr).toMatch(/duplicate record.*\s+1/);
  });
});

describe('trailwatch replay: a 10 MB CloudTrail log file', () => {
  it('streams it and finds the one root sign-in among thousands of records', async () => {
    const noise = iamSigninDetail();
    const records: unknown[] = [];
    let i = 0;
    let size = 0;
    while (size < 10 * 1024 * 1024) {
      const r = { ...noise, eventID: `noise-${i++}`, eventTime: new Date(Date.UTC(2026, 10, 20, 0, 0, i % 86400)).toISOString().replace('.000', '') };
      size += JSON.stringify(r).length + 1;
      records.push(r);
    }
    records.splice(Math.floor(records.length / 2), 0, { ...rootSigninDetail(), eventID: 'needle' });
    const file = join(tmp, 'big.json');
    writeFileSync(file, JSON.stringify({ Records: records }));
    expect(statSync(file).size).toBeGreaterThanOrEqual(10 * 1024 * 1024);
    const run = await cli([file, '--format', 'json', '--no-rates']);
    expect(run.code).toBe(0);
    const rootFindings = jsonLines(run.stdout).filter((f) => f.detection === 'root-signin');
    expect(rootFindings.map((f) => f.eventId)).toEqual(['needle']);
    expect(run.stderr).toContain(`${records.length} event(s) analysed, 0 skipped`);
  }, 300_000);
});

describe('trailwatch replay: exit codes and text output', () => {
  it('--fail-on high exits 2 when a high or critical finding exists, 0 when none reaches it', async () => {
    const [hit, miss] = await Promise.all([
      cli([join(EVENTS_DIR, 'root-signin', 'positive-failure.json'), '--fail-on', 'high', '--format', 'json']),
      cli([join(EVENTS_DIR, 'root-signin', 'positive-failure.json'), '--fail-on', 'critical', '--format', 'json']),
    ]);
    expect(jsonLines(hit.stdout).map((f) => f.severity)).toContain('high');
    expect(hit.code).toBe(2);
    expect(miss.code).toBe(0);
  }, 300_000);

  it('usage errors exit 1 with a reason', async () => {
    const [missing, badSeverity, noPath] = await Promise.all([cli(['does-not-exist/']), cli(['events/', '--fail-on', 'severe']), cli([])]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no such file or directory: does-not-exist/);
    expect(badSeverity.code).toBe(1);
    expect(badSeverity.stderr).toMatch(/--fail-on must be one of/);
    expect(noPath.code).toBe(1);
  }, 300_000);

  it('text output is readable, uncoloured when NO_COLOR is set or not a TTY, with a summary table', async () => {
    const run = await cli([join(EVENTS_DIR, 'root-signin')], { NO_COLOR: '1' });
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('\u001b[');
    expect(run.stdout).toMatch(/CRITICAL\s+root-signin\s+Root user signed in/);
    expect(run.stdout).toMatch(/detection\s+severity\s+findings/);
  }, 300_000);
});

describe.skipIf(!hasExternal('invictus'))('trailwatch replay: the Invictus attack-simulation logs end to end', () => {
  let findings: Finding[] = [];
  let run: Awaited<ReturnType<typeof cli>>;
  beforeAll(async () => {
    run = await cli([join(EXTERNAL_DIR, 'invictus'), '--format', 'json']);
    findings = jsonLines(run.stdout);
  }, 300_000);
  const has = (id: string) => detections.some((d) => d.id === id);
  const count = (detection: string, eventName: string) => findings.filter((f) => f.detection === detection && f.eventName === eventName).length;

  it('reads all 2,900 records of the 55 log files without skips', () => {
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/55 file\(s\), 2900 event\(s\) analysed, 0 skipped/);
  });

  // The data set holds StopLogging x3 and DeleteTrail x3; the three StopLogging calls and one
  // DeleteTrail failed with TrailNotFoundException (the attacker guessing or racing trail names).
  // Successful deletes are critical; failed attempts that were not denied are medium.
  it.skipIf(!has('trail-tampering'))('trail-tampering: StopLogging x3 (attempts), DeleteTrail x3, PutEventSelectors x2', () => {
    expect(count('trail-tampering', 'StopLogging')).toBe(3);
    expect(count('trail-tampering', 'DeleteTrail')).toBe(3);
    expect(count('trail-tampering', 'PutEventSelectors')).toBe(2);
    const deletes = findings.filter((f) => f.detection === 'trail-tampering' && f.eventName === 'DeleteTrail');
    expect(deletes.map((f) => f.severity).sort()).toEqual(['critical', 'critical', 'medium']);
    const stops = findings.filter((f) => f.detection === 'trail-tampering' && f.eventName === 'StopLogging');
    for (const f of stops) expect(f).toMatchObject({ severity: 'medium', details: { attempted: true, errorCode: 'TrailNotFoundException' } });
  });

  it.skipIf(!has('policy-changed'))('policy-changed: the IAM policy attachments, trust-policy updates and bucket policies', () => {
    for (const name of ['AttachUserPolicy', 'AttachRolePolicy', 'PutRolePolicy']) expect(count('policy-changed', name), name).toBeGreaterThanOrEqual(1);
    expect(count('policy-changed', 'UpdateAssumeRolePolicy')).toBe(2);
    expect(count('policy-changed', 'PutBucketPolicy')).toBeGreaterThanOrEqual(1);
  });

  it.skipIf(!has('console-signin-without-mfa'))('console-signin-without-mfa: the one sign-in without MFA', () => {
    expect(count('console-signin-without-mfa', 'ConsoleLogin')).toBe(1);
  });

  it.skipIf(!has('organizations-changes'))('organizations-changes: LeaveOrganization', () => {
    expect(count('organizations-changes', 'LeaveOrganization')).toBe(1);
  });

  it.skipIf(!has('vpc-changes'))('vpc-changes: DeleteFlowLogs', () => {
    expect(count('vpc-changes', 'DeleteFlowLogs')).toBeGreaterThanOrEqual(1);
  });

  it('raises nothing from root detections (the data set has no root events)', () => {
    expect(findings.filter((f) => f.detection === 'root-signin' || f.detection === 'root-activity')).toEqual([]);
  });
});

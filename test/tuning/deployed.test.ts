import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { convertTuning } from '../../scripts/tuning-json.ts';
import { tuningValidatorSource, VALIDATOR_FILE } from '../../scripts/gen-tuning-validator.ts';
import { detections } from '../../shared/detections/index.ts';
import { createMemoryLog } from '../../shared/log.ts';
import { knownDetectionIds, loadDeployedTuning } from '../../shared/routing/deployed.ts';
import { checkTuningValue } from '../../shared/tuning/check.ts';
import { CHECK_STAMP_SUFFIX, parseDeployedTuning, readDeployedTuningFile, tuningCheckStamp } from '../../shared/tuning/deployed.ts';
import { TuningError, TuningValidationError } from '../../shared/tuning/errors.ts';
import { loadTuningFile } from '../../shared/tuning/load.ts';
import { TUNING_SCHEMA } from '../../shared/tuning/schema.ts';
import { ROOT } from '../helpers/events.ts';

const known = { knownDetections: knownDetectionIds(detections), now: new Date('2026-12-01T00:00:00Z') };
const EXAMPLE = join(ROOT, 'docs', 'tuning-example.yaml');

/** Realistic mistakes, each a whole document: schema errors (several at once) and semantic ones. */
const INVALID: unknown[] = [
  { version: 2 },
  { version: 1, deployers: [{ name: 'ci', principals: ['arn:aws:iam::111122223333:role/ci'], networks: ['10.0.0.0/8'], extra: true }] },
  { version: 1, suppressions: [{ id: 'x', detection: 'root-signin', reason: 'r', owner: 'o' }] },
  { version: 1, organization: { id: 'o-short', accounts: [{ id: '12345' }] }, scanners: 'wiz' },
  { version: 1, severityOverrides: [{ detection: 'no-such-detection', severity: 'low' }] },
  { version: 1, suppressions: [{ id: 'x', detection: 'root-signin', reason: 'r', owner: 'o', expires: '2027-02-30' }] },
  { version: 1, organization: { accounts: [{ id: '111122223333', name: '' }] }, detections: { 'Root-Signin': { enabled: false } } },
];

describe('tuning: schema compiled ahead of time', () => {
  it('the checked-in validator is what the schema compiles to (regenerate: npx tsx scripts/gen-tuning-validator.ts)', () => {
    expect(readFileSync(VALIDATOR_FILE, 'utf8')).toBe(tuningValidatorSource());
  });

  it('reports exactly what Ajv compiling the schema at run time reports, on valid and invalid documents', () => {
    const runtime = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true }).compile(TUNING_SCHEMA);
    const example = parseYaml(readFileSync(EXAMPLE, 'utf8')) as unknown;
    for (const doc of [example, ...INVALID]) {
      const ok = runtime(doc);
      const checked = checkTuningValue(doc, known);
      const schemaProblems = checked.config ? [] : checked.problems;
      if (ok) expect(schemaProblems.filter((p) => !p.message.includes('detection id') && !p.message.includes('real date'))).toEqual([]);
      else expect(schemaProblems.map((p) => p.pointer).sort()).toEqual((runtime.errors ?? []).map((e) => e.instancePath || '/').sort());
    }
    expect(checkTuningValue(example, known).config).toBeDefined();
  });
});

describe('tuning: the JSON the package step ships', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tw-tuning-json-'));

  it('converts the YAML to JSON that loads to the same configuration, with no YAML parser involved', async () => {
    const out = join(dir, 'example.json');
    expect(convertTuning(EXAMPLE, out)).toBe(true);
    const fromYaml = loadTuningFile(EXAMPLE, known).config;
    expect((await parseDeployedTuning(readFileSync(out, 'utf8'), out, known)).config).toEqual(fromYaml);
    expect(await loadDeployedTuning({ TRAILWATCH_TUNING_FILE: out }, createMemoryLog(), known.knownDetections)).toEqual(fromYaml);
    expect(convertTuning(join(dir, 'absent.yaml'), join(dir, 'absent.json'))).toBe(false);
  });

  it('refuses to convert an invalid file, with file:line:col (so `serverless package` fails, not a cold start)', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'version: 1\nseverityOverrides:\n  - detection: root-sigin\n    severity: low\n');
    expect(() => convertTuning(bad, join(dir, 'bad.json'))).toThrow(`${bad}:3:16: unknown detection id "root-sigin"`);
  });

  it('a hand-edited or stale JSON still fails the cold start with every problem and where it is', async () => {
    for (const doc of INVALID) {
      let error: unknown;
      try {
        await parseDeployedTuning(JSON.stringify(doc), 'trailwatch.config.json', known);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(doc)).toBeInstanceOf(TuningValidationError);
      expect((error as TuningValidationError).problems.length).toBeGreaterThan(0);
    }
    const many = await (async () => {
      try {
        await parseDeployedTuning(JSON.stringify(INVALID[3]), 'f.json', known);
      } catch (e) {
        return (e as TuningValidationError).problems.map((p) => p.message);
      }
      return [];
    })();
    expect(many.some((m) => m.includes('(at /organization/id)'))).toBe(true);
    expect(many.some((m) => m.includes('(at /scanners)'))).toBe(true);
    await expect(parseDeployedTuning('{"version": 1,', 'f.json')).rejects.toThrow(/f\.json:1:1: not JSON/);
  });

  it('the package step stamps the JSON it checked; a cold start on the stamped file skips the schema and loads the same configuration', async () => {
    const out = join(dir, 'stamped.json');
    convertTuning(EXAMPLE, out);
    expect(readFileSync(`${out}${CHECK_STAMP_SUFFIX}`, 'utf8')).toBe(tuningCheckStamp(readFileSync(out, 'utf8')));
    const fromYaml = loadTuningFile(EXAMPLE, known).config;
    const stamped = await readDeployedTuningFile(out, known);
    expect(stamped).toMatchObject({ checkedBy: 'package-stamp', config: fromYaml });
    // The same file without its stamp: the whole check at cold start, the same answer.
    rmSync(`${out}${CHECK_STAMP_SUFFIX}`);
    expect(await readDeployedTuningFile(out, known)).toMatchObject({ checkedBy: 'cold-start', config: fromYaml });
  });

  it('a cold start on the stamped file never loads the schema validator; one without the stamp does', () => {
    const out = join(dir, 'loads.json');
    convertTuning(EXAMPLE, out);
    // A fresh process records every module it loads (a loader hook), then reads the file as detect does.
    const hooks = join(dir, 'record-hooks.mjs');
    writeFileSync(hooks, "export async function load(url, context, next) { if (url.startsWith('file:')) process.stdout.write(`loaded ${url}\\n`); return next(url, context); }\n");
    const script = [
      "import { register } from 'node:module';",
      `register(${JSON.stringify(pathToFileURL(hooks).href)});`,
      `const { readDeployedTuningFile } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'shared', 'tuning', 'deployed.ts')).href)});`,
      `const r = await readDeployedTuningFile(${JSON.stringify(out)});`,
      "process.stdout.write(`checkedBy ${r.checkedBy}\\n`);",
    ].join('\n');
    const loads = (): { checkedBy: string; validator: boolean } => {
      const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_NO_WARNINGS: '1' } });
      expect(run.status, run.stderr).toBe(0);
      const lines = run.stdout.split('\n');
      expect(lines.some((l) => l.endsWith('/shared/tuning/semantics.ts')), run.stdout).toBe(true);
      return { checkedBy: lines.find((l) => l.startsWith('checkedBy '))?.slice(10) ?? '', validator: lines.some((l) => /\/shared\/tuning\/(check\.ts|schema-validator\.generated\.js)$/.test(l)) };
    };
    expect(loads()).toEqual({ checkedBy: 'package-stamp', validator: false });
    rmSync(`${out}${CHECK_STAMP_SUFFIX}`);
    expect(loads()).toEqual({ checkedBy: 'cold-start', validator: true });
  });

  it('a tuning file changed after the package step is refused at cold start with every problem, its old stamp notwithstanding', async () => {
    const out = join(dir, 'corrupted.json');
    convertTuning(EXAMPLE, out);
    const packaged = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    // A hand edit: a version this code does not know and a field the schema does not have.
    writeFileSync(out, JSON.stringify({ ...packaged, version: 2, scanners: 'wiz' }));
    expect(existsSync(`${out}${CHECK_STAMP_SUFFIX}`)).toBe(true);
    let error: unknown;
    try {
      await loadDeployedTuning({ TRAILWATCH_TUNING_FILE: out }, createMemoryLog(), known.knownDetections);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TuningValidationError);
    const messages = (error as TuningValidationError).problems.map((p) => p.message);
    expect(messages.some((m) => m.includes('(at /version)'))).toBe(true);
    expect(messages.some((m) => m.includes('(at /scanners)'))).toBe(true);
    // A truncated copy.
    writeFileSync(out, readFileSync(`${out}`, 'utf8').slice(0, 20));
    await expect(readDeployedTuningFile(out, known)).rejects.toThrow(/not JSON/);
  });

  it('the stamp vouches for the schema only: ids the running code does not know and real dates are checked at every cold start', async () => {
    const out = join(dir, 'unknown-id.json');
    const text = JSON.stringify({ version: 1, severityOverrides: [{ detection: 'retired-detection', severity: 'low' }], suppressions: [{ id: 's', detection: 'root-signin', reason: 'r', owner: 'o', expires: '2027-02-30' }] });
    writeFileSync(out, text);
    writeFileSync(`${out}${CHECK_STAMP_SUFFIX}`, tuningCheckStamp(text));
    let error: unknown;
    try {
      await readDeployedTuningFile(out, known);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TuningValidationError);
    expect((error as TuningValidationError).problems.map((p) => p.message)).toEqual([expect.stringContaining('not a real date'), expect.stringContaining('unknown detection id "retired-detection"')]);
  });

  it('the deployed loader reads only JSON; no file is zero configuration, logged', async () => {
    await expect(loadDeployedTuning({ TRAILWATCH_TUNING_FILE: EXAMPLE })).rejects.toThrow(TuningError);
    const log = createMemoryLog();
    expect(await loadDeployedTuning({ TRAILWATCH_TUNING_FILE: join(dir, 'none.json') }, log)).toEqual({ version: 1 });
    expect(log.lines.map((l) => l.message)).toEqual(['no tuning file packaged; routing with zero configuration']);
  });
});

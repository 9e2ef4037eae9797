import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detections } from '../../shared/detections/index.ts';
import { knownDetectionIds } from '../../shared/routing/deployed.ts';
import { TuningValidationError, type TuningProblem } from '../../shared/tuning/errors.ts';
import { expiryMs, loadTuningFile, parseTuning } from '../../shared/tuning/load.ts';
import { ROOT } from '../helpers/events.ts';

const known = { knownDetections: knownDetectionIds(detections), now: new Date('2026-12-01T00:00:00Z') };

/** The problems a text produces (or [] when it is valid). */
function problems(text: string, file = 't.yaml'): TuningProblem[] {
  try {
    parseTuning(text, file, known);
    return [];
  } catch (error) {
    if (!(error instanceof TuningValidationError)) throw error;
    return error.problems;
  }
}

describe('tuning file: the checked-in files validate', () => {
  it('the deployed trailwatch.config.yaml, the documented example and the noise benchmark file are valid against the schema and the registry', () => {
    for (const file of ['trailwatch.config.yaml', 'docs/tuning-example.yaml', 'scripts/noise-org.tuning.yaml']) {
      const loaded = loadTuningFile(join(ROOT, file), known);
      expect(loaded.config.version).toBe(1);
      expect(loaded.warnings).toEqual([]);
    }
    const example = loadTuningFile(join(ROOT, 'docs/tuning-example.yaml'), known).config;
    expect(example.deployers?.map((d) => d.name)).toContain('terraform-ci');
    expect(example.suppressions?.every((s) => s.reason && s.owner && s.expires)).toBe(true);
  });

  it('reads JSON as well as YAML (JSON is YAML), with the same validation', () => {
    const yamlText = readFileSync(join(ROOT, 'docs/tuning-example.yaml'), 'utf8');
    const config = parseTuning(yamlText, 'x.yaml', known).config;
    expect(parseTuning(JSON.stringify(config, null, 2), 'x.json', known).config).toEqual(config);
  });
});

describe('tuning file: organization OUs and team routing', () => {
  it('accepts accounts with an OU path and teams by accounts or OUs (ids, the root, name paths)', () => {
    const text = [
      'version: 1',
      'organization:',
      '  accounts:',
      "    - { id: '444455556666', name: payments-prod, ou: Workloads/Payments }",
      'routing:',
      '  teams:',
      '    - { name: payments, ous: [Workloads/Payments, ou-ab12-22222222, r-ab12], slackWebhookParameter: /trailwatch/teams/payments }',
      "    - { name: data, accounts: ['777788889999'], slackWebhookParameter: /trailwatch/teams/data }",
    ].join('\n');
    expect(problems(text)).toEqual([]);
  });

  it('rejects a team that owns nothing, a duplicate team, a bad account id, an empty OU segment and a webhook that is not a parameter name', () => {
    const text = [
      'version: 1',
      'organization:',
      '  accounts:',
      "    - { id: '444455556666', ou: Workloads//Payments }",
      'routing:',
      '  teams:',
      "    - { name: a, accounts: ['4444'], slackWebhookParameter: 'https://hooks.slack.com/services/x' }",
    ].join('\n');
    const found = problems(text).map((p) => `${p.line}: ${p.message}`);
    expect(found).toEqual(
      expect.arrayContaining([expect.stringMatching(/^4: .*ou: must be an OU path/), expect.stringMatching(/^7: .*accounts\.0: must be a 12-digit/), expect.stringMatching(/^7: .*slackWebhookParameter: must be an SSM parameter name/)]),
    );
    const semantic = ['version: 1', 'routing:', '  teams:', '    - { name: a, slackWebhookParameter: /trailwatch/teams/a }', "    - { name: a, accounts: ['444455556666'], slackWebhookParameter: /trailwatch/teams/b }"].join('\n');
    expect(problems(semantic).map((p) => `${p.line}: ${p.message}`)).toEqual(['4: team "a" owns nothing: give accounts or ous', '5: duplicate team name "a"']);
  });
});

describe('tuning file: errors are line-precise (file:line:col)', () => {
  it('points at an unknown key, a missing field, a bad value and a bad enum exactly', () => {
    const text = [
      'version: 1', // 1
      'deployers:', // 2
      '  - name: tf', // 3
      '    principal: x', // 4  unknown key (typo for principals) + missing principals
      'severityOverrides:', // 5
      '  - detection: policy-changed', // 6
      '    severity: urgent', // 7  not a severity
      'trustedAccounts:', // 8
      '  - id: "12345"', // 9  not 12 digits
    ].join('\n');
    const got = problems(text).map((p) => `${p.line}:${p.column} ${p.message}`);
    expect(got).toContain('3:5 deployers.0: missing required field "principals"');
    expect(got).toContain('4:5 deployers.0: unknown field "principal"');
    expect(got).toContain('7:15 severityOverrides.0.severity: must be one of info, low, medium, high, critical');
    expect(got).toContain('9:9 trustedAccounts.0.id: must be a 12-digit AWS account id');
  });

  it('reports YAML syntax errors with their position, and a duplicate key', () => {
    const syntax = problems('version: 1\nsuppressions:\n  - id: a\n   detection: x\n');
    expect(syntax.length).toBeGreaterThan(0);
    expect(syntax[0]?.line).toBe(4);
    const dup = problems('version: 1\nscanners: []\nscanners: []\n');
    expect(dup[0]?.line).toBe(3);
    expect(dup[0]?.message).toMatch(/unique/i);
  });

  it('checks what a schema cannot: unknown detection ids, duplicate suppression ids, impossible dates, bad CIDRs', () => {
    const text = [
      'version: 1',
      'suppressions:',
      '  - { id: s1, detection: no-such-detection, reason: because, owner: me, expires: 2027-01-01 }',
      '  - { id: s1, detection: kms-key-deletion, reason: because, owner: me, expires: 2027-02-30 }',
      'scanners:',
      '  - name: scan',
      "    principals: ['arn:aws:iam::111122223333:role/scan']",
      '    networks: [10.0.0.0/99]',
      'detections:',
      '  root-signn: { enabled: false }',
    ].join('\n');
    const got = problems(text).map((p) => `${p.line}:${p.column} ${p.message}`);
    expect(got).toContain('3:26 unknown detection id "no-such-detection"');
    expect(got).toContain('4:11 duplicate suppression id "s1"');
    expect(got.some((m) => m.startsWith('4:') && m.includes('not a real date'))).toBe(true);
    expect(got).toContain('8:16 not a CIDR: "10.0.0.0/99"');
    expect(got).toContain('10:15 unknown detection id "root-signn"');
  });

  it('an expired suppression is a warning, not an error: the file still loads', () => {
    const loaded = parseTuning('version: 1\nsuppressions:\n  - { id: old, detection: kms-key-deletion, reason: teardown, owner: platform, expires: 2026-01-31 }\n', 't.yaml', known);
    expect(loaded.warnings).toHaveLength(1);
    expect(loaded.warnings[0]).toMatchObject({ line: 3 });
    expect(loaded.warnings[0]?.message).toMatch(/expired on 2026-01-31/);
  });

  it('a bare expiry date lasts to the end of that day (UTC)', () => {
    expect(expiryMs('2027-01-01')).toBe(Date.parse('2027-01-01T23:59:59.999Z'));
    expect(expiryMs('2027-01-01T08:00:00Z')).toBe(Date.parse('2027-01-01T08:00:00Z'));
    expect(expiryMs('2027-13-01')).toBeNaN();
    expect(expiryMs('2027-02-30')).toBeNaN();
  });

  it('requires version 1 and rejects a non-mapping document', () => {
    expect(problems('organization: {}\n')[0]?.message).toMatch(/missing required field "version"/);
    expect(problems('- a\n- b\n')[0]?.message).toMatch(/must be object/);
  });
});

describe('tuning file: approvedRegions (unused-region-activity)', () => {
  it('accepts an organization-wide list with per-account lists, and the example documents one', () => {
    const text = ['version: 1', 'approvedRegions:', '  regions: [us-east-1, eu-west-1, us-gov-west-1]', '  accounts:', "    - { id: '333344445555', name: previews, regions: [eu-west-1] }"].join('\n');
    expect(problems(text)).toEqual([]);
    const example = loadTuningFile(join(ROOT, 'docs/tuning-example.yaml'), known).config;
    expect(example.approvedRegions?.regions).toEqual(['us-east-1', 'us-west-2', 'eu-west-1']);
    expect(example.approvedRegions?.accounts?.map((a) => a.id)).toEqual(['333344445555']);
  });

  it('says at file:line:col what a region name should be: an Availability Zone, upper case, a partial name', () => {
    const text = ['version: 1', 'approvedRegions:', '  regions:', '    - eu-west-1a', '    - EU-WEST-1', '    - eu-west', "  accounts:", "    - { id: '111122223333', regions: [ireland] }"].join('\n');
    expect(problems(text).map((p) => `${p.line}:${p.column} ${p.message}`)).toEqual([
      '4:7 not a region name: "eu-west-1a" is an Availability Zone; write its region, eu-west-1',
      '5:7 not a region name: "EU-WEST-1" (region names are lower case: write eu-west-1)',
      '6:7 not a region name: "eu-west" (write a region code such as eu-west-1 or us-east-1)',
      '8:39 not a region name: "ireland" (write a region code such as eu-west-1 or us-east-1)',
    ]);
  });

  it('rejects an empty block or list, a list per account given twice, an unknown field and an account without regions', () => {
    expect(problems('version: 1\napprovedRegions: {}\n').map((p) => p.message)).toEqual([
      'approvedRegions lists no regions: give regions (organization-wide) or accounts, or remove it (unused-region-activity stays inactive)',
    ]);
    expect(problems('version: 1\napprovedRegions:\n  regions: []\n').map((p) => p.message)).toEqual(['approvedRegions.regions: must NOT have fewer than 1 items']);
    const twice = ['version: 1', 'approvedRegions:', '  accounts:', "    - { id: '111122223333', regions: [eu-west-1] }", "    - { id: '111122223333', regions: [eu-west-2] }"].join('\n');
    expect(problems(twice).map((p) => p.message)).toEqual(['account 111122223333 is listed twice under approvedRegions.accounts: give it one list']);
    expect(problems('version: 1\napprovedRegions:\n  region: [eu-west-1]\n').map((p) => p.message)).toEqual(['approvedRegions: unknown field "region"']);
    expect(problems("version: 1\napprovedRegions:\n  accounts:\n    - { id: '111122223333' }\n").map((p) => p.message)).toEqual(['approvedRegions.accounts.0: missing required field "regions"']);
  });

  it('warns when a per-account list names an account the organization list does not have', () => {
    const text = ['version: 1', 'organization:', "  accounts: [{ id: '111122223333' }]", 'approvedRegions:', '  accounts:', "    - { id: '999900001111', regions: [eu-west-1] }"].join('\n');
    expect(parseTuning(text, 't.yaml', known).warnings.map((w) => w.message)).toEqual(['account 999900001111 is not listed under organization.accounts']);
  });
});

describe('docs/tuning.md: the approvedRegions messages it shows are the ones the loader gives', () => {
  it('for regions: [eu-west-1a, EU-WEST-1, ireland] on line 3', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'tuning.md'), 'utf8');
    const shown = doc.split('\n').map((l) => l.trim()).filter((l) => /^trailwatch\.config\.yaml:3:\d+: not a region name/.test(l));
    expect(shown).toHaveLength(3);
    let got: string[] = [];
    try {
      parseTuning('version: 1\napprovedRegions:\n  regions: [eu-west-1a, EU-WEST-1, ireland]\n', 'trailwatch.config.yaml', known);
    } catch (error) {
      got = (error as TuningValidationError).problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`);
    }
    expect(got).toEqual(shown);
  });
});

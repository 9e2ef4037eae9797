import { serializeFinding } from '../model/finding-bounds.ts';
import type { Finding, Severity } from '../model/types.ts';
import { SEVERITIES, severityRank } from '../model/types.ts';
import type { FindingSink, RunCounts } from './types.ts';
import type { AccountDirectory } from '../alerts/context.ts';
import { inertJsonText, terminalText } from '../alerts/escape.ts';

/**
 * Findings for people and pipes: `text` is a readable, optionally coloured block per finding;
 * `json` is exactly one JSON object per finding per line (JSON Lines) and nothing else.
 */
export type ConsoleFormat = 'text' | 'json';

export interface ConsoleSinkOptions {
  format: ConsoleFormat;
  out?: NodeJS.WritableStream;
  /** ANSI colours in text mode; decide with `shouldColor()`. */
  color?: boolean;
  /** Names shown next to account ids (the tuning file's organization.accounts). */
  accounts?: AccountDirectory;
}

/** Colour only for a TTY, and never when NO_COLOR is set (https://no-color.org) or TERM is dumb. */
export function shouldColor(stream: { isTTY?: boolean }, env: Record<string, string | undefined> = process.env): boolean {
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  if (env['FORCE_COLOR'] !== undefined && env['FORCE_COLOR'] !== '' && env['FORCE_COLOR'] !== '0') return true;
  if (env['TERM'] === 'dumb') return false;
  return stream.isTTY === true;
}

const CODES = { red: 31, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1, dim: 2 } as const;
type Style = keyof typeof CODES;

export function paint(color: boolean): (style: Style | Style[], text: string) => string {
  return (style, text) => {
    if (!color) return text;
    const styles = Array.isArray(style) ? style : [style];
    return `${styles.map((s) => `\u001b[${CODES[s]}m`).join('')}${text}\u001b[0m`;
  };
}

const SEVERITY_STYLE: Record<Severity, Style[]> = {
  critical: ['bold', 'magenta'],
  high: ['bold', 'red'],
  medium: ['yellow'],
  low: ['blue'],
  info: ['gray'],
};

/**
 * Attacker-controlled fields (user agents, names) must not drive the terminal: one line, no escape
 * sequences, no bidi overrides (the shared escaping layer, shared/alerts/escape.ts).
 */
function clean(text: string): string {
  return terminalText(text, 4000);
}

/** One finding as a few readable lines. */
export function formatFindingText(finding: Finding, color: boolean, accounts?: AccountDirectory): string {
  const c = paint(color);
  // Account names are set by account owners: the same one-line cleaning as every event field.
  const name = /^\d{12}$/.test(finding.account) ? accounts?.nameOf(finding.account) : undefined;
  const account = name ? `${finding.account} (${name})` : finding.account;
  const sev = c(SEVERITY_STYLE[finding.severity], finding.severity.toUpperCase().padEnd(8));
  const who = finding.principal.arn ?? finding.principal.name;
  const lines = [
    `${sev} ${c('bold', clean(finding.detection))}  ${clean(finding.title)}`,
    `         ${c('dim', clean(`${finding.time}  ${account}/${finding.region}  ${finding.eventSource} ${finding.eventName}`))}`,
    `         ${c('dim', `by ${clean(who)} (${clean(finding.principal.type)})${finding.sourceIp ? ` from ${clean(finding.sourceIp)}` : ''}  event ${clean(finding.eventId)}`)}`,
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * The finding as one JSON Lines record. Total: a finding that cannot be serialised becomes a
 * reduced one saying why, so it never takes the other lines down with it.
 */
export function formatFindingJson(finding: Finding): string {
  return `${inertJsonText(serializeFinding(finding))}
`;
}

/** Prints findings to a stream (stdout by default) in the chosen format. */
export class ConsoleSink implements FindingSink {
  readonly name = 'console';
  private readonly out: NodeJS.WritableStream;
  private readonly color: boolean;

  constructor(private readonly options: ConsoleSinkOptions) {
    this.out = options.out ?? process.stdout;
    this.color = options.format === 'text' && (options.color ?? false);
  }

  async publish(findings: readonly Finding[]): Promise<void> {
    if (findings.length === 0) return;
    const text = findings.map((f) => (this.options.format === 'json' ? formatFindingJson(f) : formatFindingText(f, this.color, this.options.accounts))).join('');
    await new Promise<void>((resolve, reject) => {
      this.out.write(text, (error) => (error ? reject(error) : resolve()));
    });
  }
}

function table(rows: string[][], color: boolean): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const c = paint(color);
  return rows
    .map((r, ri) => {
      const line = r.map((cell, i) => (i === r.length - 1 && /^\d+$/.test(cell) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0))).join('  ');
      return ri === 0 ? c('bold', line) : line;
    })
    .join('\n');
}

/** Unreadable inputs named one by one in the summary; the rest are counted. */
export const MAX_UNREADABLE_LISTED = 20;

/**
 * The end-of-run summary: events read/processed/skipped, findings by detection and severity,
 * skips by reason, and every input that could not be read, named (so nothing vanishes silently).
 */
export function formatSummary(counts: RunCounts & { inputs?: number; files?: number }, color: boolean): string {
  const c = paint(color);
  const parts: string[] = [];
  const total = counts.findings.reduce((n, f) => n + f.count, 0);
  const head = [
    counts.files !== undefined ? `${counts.files} file(s)` : undefined,
    `${counts.eventsProcessed} event(s) analysed`,
    `${counts.eventsSkipped} skipped`,
    `${total} finding(s)`,
    counts.detectionErrors ? c('red', `${counts.detectionErrors} detection error(s)`) : undefined,
    counts.unreadable?.length ? c('red', `${counts.unreadable.length} unreadable input(s)`) : undefined,
  ].filter(Boolean);
  parts.push(c('bold', `Trailwatch replay: ${head.join(', ')}`));
  if (counts.findings.length > 0) {
    const rows = [...counts.findings].sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.detection.localeCompare(b.detection));
    parts.push('', table([['detection', 'severity', 'findings'], ...rows.map((f) => [f.detection, f.severity, String(f.count)])], color));
    const bySeverity = SEVERITIES.map((s) => [s, counts.findings.filter((f) => f.severity === s).reduce((n, f) => n + f.count, 0)] as const)
      .filter(([, n]) => n > 0)
      .reverse();
    parts.push('', `by severity: ${bySeverity.map(([s, n]) => `${c(SEVERITY_STYLE[s], s)} ${n}`).join(', ')}`);
  }
  const reasons = Object.entries(counts.skipReasons).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (reasons.length > 0) {
    parts.push('', table([['skip reason', 'count'], ...reasons.map(([r, n]) => [clean(r), String(n)])], color));
  }
  for (const note of counts.notes ?? []) parts.push('', `note: ${clean(note)}`);
  const unreadable = counts.unreadable ?? [];
  if (unreadable.length > 0) {
    const shown = unreadable.slice(0, MAX_UNREADABLE_LISTED);
    parts.push('', c('red', 'could not be read (exit code 3):'), table([['input', 'lost', 'reason'], ...shown.map((u) => [clean(u.origin), u.scope === 'record' ? 'one record' : 'file', clean(u.reason)])], color));
    if (unreadable.length > shown.length) parts.push(`…and ${unreadable.length - shown.length} more`);
  }
  return `${parts.join('\n')}\n`;
}

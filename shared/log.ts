import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The logging surface Trailwatch code uses. In Lambda it is a Powertools Logger (structured JSON,
 * CloudTrail event id as correlation id); the CLI passes a stderr or silent logger so that
 * stdout stays reserved for findings.
 */
export interface Log {
  debug(message: string, attributes?: Record<string, unknown>): void;
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
  /** Tags every following line with this id (the CloudTrail eventID being processed). */
  setCorrelationId(id: string | undefined): void;
}

/** Powertools Logger behind the `Log` interface: one JSON object per line, as CloudWatch Logs likes. */
export function createLambdaLogger(options: { serviceName?: string; logLevel?: string } = {}): Log & { powertools: Logger } {
  const logger = new Logger({
    serviceName: options.serviceName ?? process.env['POWERTOOLS_SERVICE_NAME'] ?? 'trailwatch',
    ...(options.logLevel ? { logLevel: options.logLevel as 'INFO' } : {}),
  });
  return {
    powertools: logger,
    debug: (m, a) => (a ? logger.debug(m, a) : logger.debug(m)),
    info: (m, a) => (a ? logger.info(m, a) : logger.info(m)),
    warn: (m, a) => (a ? logger.warn(m, a) : logger.warn(m)),
    error: (m, a) => (a ? logger.error(m, a) : logger.error(m)),
    setCorrelationId: (id) => logger.setCorrelationId(id),
  };
}

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
type Level = (typeof LEVELS)[number];

/** A `Log` whose every level calls `write` with the level and the current correlation id. */
function logFromWriter(write: (level: Level, message: string, attributes: Record<string, unknown> | undefined, correlationId: string | undefined) => void): Log {
  let correlationId: string | undefined;
  const at = (level: Level) => (message: string, attributes?: Record<string, unknown>) => write(level, message, attributes, correlationId);
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    setCorrelationId: (id) => {
      correlationId = id;
    },
  };
}

/**
 * A plain-text logger for the CLI: one line per message on the given stream (stderr by default),
 * at or above `level`.
 */
export function createStreamLogger(options: { level?: Level; stream?: NodeJS.WritableStream } = {}): Log {
  const min = LEVELS.indexOf(options.level ?? 'warn');
  const stream = options.stream ?? process.stderr;
  return logFromWriter((level, message, attributes, correlationId) => {
    if (LEVELS.indexOf(level) < min) return;
    const extra = attributes && Object.keys(attributes).length > 0 ? ` ${JSON.stringify(attributes)}` : '';
    const id = correlationId ? ` [${correlationId}]` : '';
    stream.write(`trailwatch ${level}${id}: ${message}${extra}\n`);
  });
}

/** Discards everything (tests that assert on results, not on logs). */
export const silentLog: Log = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setCorrelationId: () => undefined,
};

/** Records every line, for tests that assert a skip or a failure was logged. */
export function createMemoryLog(): Log & { lines: Array<{ level: Level; message: string; attributes?: Record<string, unknown>; correlationId?: string }> } {
  const lines: Array<{ level: Level; message: string; attributes?: Record<string, unknown>; correlationId?: string }> = [];
  const log = logFromWriter((level, message, attributes, correlationId) => {
    lines.push({ level, message, ...(attributes ? { attributes } : {}), ...(correlationId ? { correlationId } : {}) });
  });
  return { lines, ...log };
}

import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { TestProject } from 'vitest/node';
import { ROOT } from '../helpers/events.ts';

/**
 * Vitest global setup of the moto tier: starts the moto server installed in the image's Python
 * (scripts/moto-server.py, 127.0.0.1, a free port) before the tier's files run and stops it after.
 * Tests read the endpoint with `inject('motoEndpoint')`. Where moto cannot start, the tier is skipped
 * with the reason (`inject('motoUnavailable')`) — except under CI=true, where that fails the run:
 * CI machines have moto, so its absence there is a broken image, not a reason to skip.
 */

declare module 'vitest' {
  export interface ProvidedContext {
    /** `http://127.0.0.1:<port>` of the running moto server, or '' when it is unavailable. */
    motoEndpoint: string;
    /** Why moto is unavailable ('' when it runs). */
    motoUnavailable: string;
  }
}

/** Seconds to wait for the server's "listening" line; generous because the machine may be loaded. */
const START_TIMEOUT_MS = 60_000;

/** moto could not be started (missing Python or moto, or it died before listening). */
export class MotoUnavailableError extends Error {
  override name = 'MotoUnavailableError';
}

interface RunningMoto {
  endpoint: string;
  stop: () => Promise<void>;
}

/** Spawns scripts/moto-server.py and resolves once it prints its port. */
export function startMoto(): Promise<RunningMoto> {
  const PYTHON = process.env['TRAILWATCH_PYTHON'] ?? 'python3';
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(PYTHON, [join(ROOT, 'scripts', 'moto-server.py')], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1' } });
    } catch (error) {
      reject(new MotoUnavailableError(`cannot run ${PYTHON}: ${(error as Error).message}`));
      return;
    }
    // moto logs one line per request on stderr: keep the tail for diagnostics, never let the pipe fill.
    const stderrTail: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (line) => {
      stderrTail.push(line);
      if (stderrTail.length > 40) stderrTail.shift();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new MotoUnavailableError(`moto did not report a port within ${START_TIMEOUT_MS / 1000} s`));
    }, START_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new MotoUnavailableError(`cannot run ${PYTHON}: ${error.message}`));
    });
    const exited = new Promise<void>((done) => child.on('exit', () => done()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new MotoUnavailableError(`moto exited with code ${code} before listening: ${stderrTail.slice(-5).join(' | ')}`));
    });
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      let port: unknown;
      try {
        port = (JSON.parse(line) as { port?: unknown }).port;
      } catch {
        port = undefined;
      }
      if (typeof port !== 'number') {
        child.kill('SIGKILL');
        reject(new MotoUnavailableError(`unexpected first line from moto: ${line}`));
        return;
      }
      resolve({
        endpoint: `http://127.0.0.1:${port}`,
        stop: async () => {
          child.stdin?.end(); // the launcher also stops when its stdin closes
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await exited;
          clearTimeout(killer);
        },
      });
    });
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  try {
    const moto = await startMoto();
    project.provide('motoEndpoint', moto.endpoint);
    project.provide('motoUnavailable', '');
    return moto.stop;
  } catch (error) {
    if (!(error instanceof MotoUnavailableError)) throw error;
    if (process.env['CI'] === 'true') throw new Error(`moto tier: ${error.message} (CI=true: moto is part of the image, so this fails the run)`);
    const reason = `moto tier skipped: ${error.message}`;
    console.warn(reason);
    project.provide('motoEndpoint', '');
    project.provide('motoUnavailable', reason);
    return async () => {};
  }
}

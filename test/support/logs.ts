import type pino from 'pino';
import { Writable } from 'node:stream';
import { createRootLogger } from '../../src/common/logging/root-logger';

/** One JSON log line as the app writes it (pino's numeric levels). */
export type LogLine = Record<string, unknown> & { level: number; msg?: string };

/**
 * The app's own root logger (same format and redaction), writing each line into `lines`
 * instead of stdout, for tests that check what was logged. Pass it as createTestApp's logger.
 */
export function capturingLogger(lines: LogLine[], level = 'info', role = 'api'): pino.Logger {
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return createRootLogger(level, role, sink);
}

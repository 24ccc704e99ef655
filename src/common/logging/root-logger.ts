import pino, { DestinationStream, Logger } from 'pino';
import type { LogFormat } from './log-format';
import { prettyDestination } from './pretty';
import { routeSummaryHook } from './route-summary';

/**
 * The process's single pino logger: start-up code logs through it before Nest exists, and
 * nestjs-pino reuses it for request and application logs, so every line has the same shape.
 * JSON lines (numeric levels, as pino's tooling expects) unless `format` is 'pretty', for a
 * person at a terminal (see chooseLogFormat). A given destination always gets JSON.
 */
export function createRootLogger(
  level: string,
  processRole: string,
  destination?: DestinationStream,
  format: LogFormat = 'json',
): Logger {
  return pino(
    {
      level,
      base: { service: 'handoff', role: processRole, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers["stripe-signature"]',
          '*.password',
          '*.refreshToken',
          // A failed query's values (TypeORM's QueryFailedError): emails, customers' messages,
          // transcripts. The query itself and the database's message stay.
          'err.parameters',
          'err.detail',
          'err.where',
          'err.driverError.detail',
          'err.driverError.where',
          // A refused Redis command (ioredis' ReplyError: out of memory, a read-only replica
          // during a failover): its arguments are the job's JSON, customers' messages included,
          // and the relay retries every poll. Its name stays.
          'err.command.args',
          'err.cause.command.args',
        ],
        censor: '[redacted]',
      },
      hooks: { logMethod: routeSummaryHook() },
    },
    destination ?? (format === 'pretty' ? prettyDestination() : undefined),
  );
}

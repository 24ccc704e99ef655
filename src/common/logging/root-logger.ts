import pino, { DestinationStream, Logger } from 'pino';

/**
 * The process's single pino logger: start-up code logs through it before Nest exists, and
 * nestjs-pino reuses it for request and application logs, so every line is the same JSON.
 */
export function createRootLogger(
  level: string,
  processRole: string,
  destination?: DestinationStream,
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
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

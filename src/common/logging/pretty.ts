import type { DestinationStream } from 'pino';
import { prettyFactory, type MessageFormatFunc } from 'pino-pretty';
import type { LoggedCaller } from './request-log';

/**
 * Fields a person at a terminal does not need on every line (pid, service, …) or that the
 * message already shows (a request's method, path, status, caller).
 */
const HIDDEN = [
  'pid',
  'hostname',
  'service',
  'role',
  'context',
  'req',
  'res',
  'responseTime',
  'caller',
  'errorCode',
];

interface LoggedRequest {
  id?: string;
  method?: string;
  url?: string;
}

function describeCaller(caller: LoggedCaller): string {
  const who = caller.role === 'bot' ? `key ${caller.apiKeyId}` : `${caller.role} ${caller.userId}`;
  return caller.companyId ? `${who} company ${caller.companyId}` : who;
}

/**
 * One readable line per entry: "[Context] message", and for pino-http's request lines
 * "GET /v1/me 401 UNAUTHENTICATED 3 ms · agent <id> company <id>".
 */
export const prettyMessage: MessageFormatFunc = (log, messageKey, _level, { colors }) => {
  const context = typeof log.context === 'string' ? colors.cyan(`[${log.context}] `) : '';
  const message = String(log[messageKey] ?? '');
  const req = log.req as LoggedRequest | undefined;
  const res = log.res as { statusCode?: number } | undefined;
  if (req && res && typeof log.responseTime === 'number') {
    const parts = [`${req.method} ${req.url}`, String(res.statusCode)];
    if (typeof log.errorCode === 'string') parts.push(colors.yellow(log.errorCode));
    parts.push(`${log.responseTime} ms`);
    if (log.caller) parts.push(colors.gray(`· ${describeCaller(log.caller as LoggedCaller)}`));
    if (message !== 'request completed') parts.push(`(${message})`);
    return context + parts.join(' ');
  }
  // Application lines logged while serving a request carry it: name it, to match the two.
  const during = req?.id ? colors.gray(` (request ${req.id})`) : '';
  return context + message + during;
};

/** Turns one JSON log line into the terminal form. */
export function prettyFormatter(colorize: boolean): (jsonLine: string) => string {
  return prettyFactory({
    colorize,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: HIDDEN.join(','),
    messageFormat: prettyMessage,
    // Other fields follow the message on the same line; errors still show their stack below.
    singleLine: true,
  });
}

/**
 * A pino destination writing pretty lines to the terminal, synchronously (a TTY write is), so
 * the CLI's process.exit loses nothing; no worker thread as pino's transports would start.
 */
export function prettyDestination(
  output: NodeJS.WriteStream = process.stdout,
  colorize = output.isTTY === true && !('NO_COLOR' in process.env),
): DestinationStream {
  const format = prettyFormatter(colorize);
  return { write: (line: string) => void output.write(format(line)) };
}

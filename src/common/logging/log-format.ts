export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type RequestedLogFormat = (typeof LOG_FORMATS)[number];
export type LogFormat = Exclude<RequestedLogFormat, 'auto'>;

/**
 * How log lines are written. `auto` (the default) is pretty only for a person watching a
 * terminal outside production: anything that reads the logs (a pipe, a file, a collector, a
 * production host) gets one JSON object per line. An explicit LOG_FORMAT wins either way.
 */
export function chooseLogFormat(
  isTTY: boolean | undefined,
  nodeEnv: string | undefined,
  requested: RequestedLogFormat = 'auto',
): LogFormat {
  if (requested !== 'auto') return requested;
  return isTTY === true && nodeEnv !== 'production' ? 'pretty' : 'json';
}

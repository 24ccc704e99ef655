import { Logger } from '@nestjs/common';

/**
 * Runs `work` every `ms` in this process (and once at once with `runNow`), never twice at once:
 * a run still going when the next tick comes skips that tick. A failure is logged and the next
 * tick tries again. `stop` clears the timer and waits for a run in progress (for shutdown).
 */
export function startPeriodicTask(
  work: () => Promise<unknown>,
  ms: number,
  logger: Logger,
  what: string,
  runNow = false,
): { stop: () => Promise<void> } {
  let running: Promise<unknown> | null = null;
  const tick = () => {
    if (running) return;
    running = work()
      .catch((e: unknown) => logger.warn({ err: e }, `${what} failed; next interval`))
      .finally(() => (running = null));
  };
  const interval = setInterval(tick, ms);
  interval.unref();
  if (runNow) tick();
  return {
    stop: async () => {
      clearInterval(interval);
      await running;
    },
  };
}

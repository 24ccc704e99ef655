import { Logger } from '@nestjs/common';
import { startPeriodicTask } from './periodic-task';

describe('startPeriodicTask', () => {
  const logger = new Logger('test');

  it('runs at once with runNow (a prune in a worker restarted more often than hourly ran never)', async () => {
    let runs = 0;
    const task = startPeriodicTask(async () => void runs++, 3_600_000, logger, 'work', true);
    await task.stop();
    expect(runs).toBe(1);
  });

  it('waits for the interval otherwise, and never runs twice at once', async () => {
    let runs = 0;
    let release = () => undefined as void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const task = startPeriodicTask(
      async () => {
        runs++;
        await blocked;
      },
      5,
      logger,
      'work',
    );
    expect(runs).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(runs).toBe(1); // the ticks while it ran were skipped
    release();
    await task.stop();
  });
});

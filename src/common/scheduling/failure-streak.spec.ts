import { FailureStreak } from './failure-streak';

describe('FailureStreak', () => {
  it('logs the first failure, then one a minute with the count, and the recovery once', () => {
    let now = 0;
    const logger = { error: jest.fn(), log: jest.fn() };
    const streak = new FailureStreak(logger, 'outbox relay pass', 60_000, () => now);
    const boom = new Error('Redis did not answer');
    for (let pass = 0; pass < 30; pass += 1, now += 1_000) streak.failed(boom);
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error).toHaveBeenLastCalledWith(
      { err: boom, failedPasses: 1 },
      'outbox relay pass failed; retrying',
    );
    for (let pass = 0; pass < 40; pass += 1, now += 1_000) streak.failed(boom);
    expect(logger.error).toHaveBeenCalledTimes(2);
    expect(logger.error).toHaveBeenLastCalledWith(
      { err: boom, failedPasses: 61 },
      'outbox relay pass still failing (61 passes in a row); retrying',
    );
    streak.succeeded();
    streak.succeeded();
    expect(logger.log).toHaveBeenCalledTimes(1);
    expect(logger.log).toHaveBeenCalledWith(
      { failedPasses: 70 },
      'outbox relay pass works again after 70 failed passes',
    );
    // A new streak starts with an error again.
    streak.failed(boom);
    expect(logger.error).toHaveBeenCalledTimes(3);
    expect(logger.error).toHaveBeenLastCalledWith(
      { err: boom, failedPasses: 1 },
      'outbox relay pass failed; retrying',
    );
  });
});

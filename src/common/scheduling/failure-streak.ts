import type { LoggerService } from '@nestjs/common';

/**
 * The failures of a loop that retries every poll (the outbox relay, the events sequencer),
 * logged without flooding: the first of a streak as an error, then one error a minute saying
 * how many passes have failed, and one line when a pass succeeds again. (Each failed pass
 * logged an error: a Redis slow for an hour wrote thousands of the same line.)
 */
export class FailureStreak {
  private failures = 0;
  private loggedAt = 0;

  constructor(
    private readonly logger: Pick<LoggerService, 'error' | 'log'>,
    private readonly what: string,
    private readonly everyMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  failed(err: unknown): void {
    this.failures += 1;
    if (this.failures > 1 && this.now() - this.loggedAt < this.everyMs) return;
    this.loggedAt = this.now();
    this.logger.error(
      { err, failedPasses: this.failures },
      this.failures === 1
        ? `${this.what} failed; retrying`
        : `${this.what} still failing (${this.failures} passes in a row); retrying`,
    );
  }

  succeeded(): void {
    if (this.failures === 0) return;
    this.logger.log(
      { failedPasses: this.failures },
      `${this.what} works again after ${this.failures} failed passes`,
    );
    this.failures = 0;
  }
}

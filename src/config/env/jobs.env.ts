import { Transform } from 'class-transformer';
import { IsInt, Min } from 'class-validator';
import { OperationsEnv } from './operations.env';
import { toInt } from './transforms';

/** Background work: timer jobs and their sweep, the outbox relay and BullMQ's job lock. */
export class JobsEnv extends OperationsEnv {
  /** How often workers look for timer jobs that exhausted their retries (and re-arm them). */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  TIMER_SWEEP_MS = 60000;

  /**
   * Failed jobs one sweep reads per queue, at most: half the newest, half from where the last
   * sweep stopped (a larger failed set is covered over several sweeps).
   */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  TIMER_SWEEP_MAX_SCANNED = 20000;

  @Transform(toInt)
  @IsInt()
  @Min(50)
  OUTBOX_POLL_MS = 250;

  /** A job whose worker died is retried after this long (BullMQ lock and stalled check). */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  JOB_LOCK_MS = 30000;
}

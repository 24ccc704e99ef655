import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { JobsEnv } from './jobs.env';
import { toInt } from './transforms';

/** The event log and its streams: polling, heartbeats, slow readers and retention. */
export class EventsEnv extends JobsEnv {
  /** The events sequencer's and stream hub's fallback poll (they are woken after commits). */
  @Transform(toInt)
  @IsInt()
  @Min(20)
  EVENTS_POLL_MS = 500;

  /**
   * A comment line on every event stream this often, so proxies keep it open. At most 20 s:
   * the console takes a stream silent for 45 s as dead and opens another.
   */
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(20_000)
  EVENTS_HEARTBEAT_MS = 15_000;

  /** A stream reader this many events behind (written, not yet taken by its socket) is cut off. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  EVENTS_STREAM_MAX_BEHIND = 1000;

  /** …or this many bytes behind. */
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  EVENTS_STREAM_MAX_BEHIND_BYTES = 1_048_576;

  /**
   * Open streams one user or API key may have on one API process: a console in a few tabs, a
   * bot's few readers. Each stream costs a socket and a look at every event, so an account
   * opening thousands would tax every tenant's.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  EVENTS_STREAMS_PER_SUBJECT = 10;

  /** Events are kept (listed, replayed) this many days, then pruned. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  EVENTS_RETENTION_DAYS = 30;
}

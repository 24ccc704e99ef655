import { Transform } from 'class-transformer';
import { IsInt, IsNumber, Max, Min } from 'class-validator';
import { EventsEnv } from './events.env';
import { toDecimal, toInt } from './transforms';

/** The marketplace's rules for seats, shifts and tickets, and the routing order's refresh. */
export class MarketplaceEnv extends EventsEnv {
  /** An agent may hold at most this many seat hours in any 168 hours (whatever its time zone). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(168)
  WEEKLY_HOURS_CAP = 48;

  /** Cancelling a seat less than this long before the shift starts counts against the agent. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  LATE_CANCEL_WINDOW_MINUTES = 120;

  /** Check-in opens this long before a shift starts. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(240)
  CHECK_IN_OPENS_MINUTES = 15;

  /**
   * A started shift with a free seat can still be claimed while at least this many minutes of it
   * remain (before the start, claims are always open). 720, the longest shift, turns joining a
   * started shift off.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(720)
  SEAT_CLAIM_CLOSES_MINUTES_BEFORE_END = 30;

  /** A claimed ticket with no activity for this long goes back to the queue. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  HANDLE_TIMEOUT_MINUTES = 30;

  /** A released ticket is not offered to the agent who released it for this long. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  RELEASE_COOLDOWN_MINUTES = 30;

  /**
   * After an agent's shift ends (or they check out), unresolved tickets wait this long. At least
   * a minute: the release looks for the agent's claims when it runs, and a claim still
   * committing beside the check-out (which takes no lock of the agent) must have landed by then.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  SHIFT_END_TICKET_GRACE_MINUTES = 10;

  /**
   * A company may reopen a resolved ticket for this long; earnings stay pending until then.
   * Decimals allowed so a demo can use seconds (0.01 h = 36 s).
   */
  @Transform(toDecimal)
  @IsNumber()
  @Min(0.001)
  REOPEN_WINDOW_HOURS = 72;

  /**
   * How often a worker process rewrites agents' quality tiers (the push router's order) from
   * ratings and reviews; a new rating reaches routing within this interval.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  QUALITY_REFRESH_MS = 60000;

  /**
   * An agent is ranked into a tier (top or bottom; else middle) only with ratings and reviews
   * from at least this many companies: otherwise one company, its own agent and a few cheap
   * tickets rated five stars bought the top tier, first in every company's push routing.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  QUALITY_TIER_MIN_COMPANIES = 3;
}

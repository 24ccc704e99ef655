/**
 * What depends on the size of the day (DEMO_TICKETS), so that every size from 20 to 5000 shows
 * every story (reopen with clawback, SLA breach and relaxation, handle timeout, release, a
 * payout run with paid and held lines, the maker-checker refusal) and a small day is short.
 * At the default 500 tickets these are the values the demo always used.
 */

export const MIN_TICKETS = 20;
export const MAX_TICKETS = 5000;
export const DEFAULT_TICKETS = 500;

/** Northwind's share of the tickets (tickets.ts splits them 52/48). */
export const NORTHWIND_SHARE = 0.52;

export interface DayScale {
  tickets: number;
  /** The cast: 30 agents, fewer on a small day so most of them get work. */
  agents: number;
  /** Shifts start this long after they are posted; the backlog piles up meanwhile. */
  shiftLeadMs: number;
  /** The instance's reopen window: earnings stay pending this long after a resolution. */
  reopenWindowHours: number;
  /**
   * The instance's payout minimum: above what a trainee's short day earns, below what the
   * busiest agent must earn (with T tickets and A agents someone resolves at least T/A, at
   * €3.00 or more each).
   */
  payoutMinimumMinor: number;
  /** A trainee checks out after this many resolutions (from, to). */
  traineeResolutions: [number, number];
  /** Northwind's QA starts reviewing once this many of its tickets are resolved. */
  reviewAfterResolved: number;
  /** The shift's work stops here even if tickets are left (the demo then says so). */
  workLimitMs: number;
  /** The API's database pool: the agents' requests and the workers share it. */
  dbPoolSize: number;
}

const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));

export function scaleFor(tickets: number): DayScale {
  const agents = clamp(Math.round(tickets / 3), 10, 30);
  const perAgent = tickets / agents;
  // A short first day is a few tickets whatever the size of the day (3–4 at 500).
  const trainee = clamp(Math.round(perAgent / 4), 1, 4);
  return {
    tickets,
    agents,
    // 60 s at 500 tickets (a backlog of 100 and short-SLA breaches before anyone is on shift);
    // 12 s for the smallest day, whose ten agents (signing up while the companies open) are
    // ready a few seconds after the shifts are posted.
    shiftLeadMs: clamp(10_000 + tickets * 100, 10_000, 60_000),
    // 36 s at 200 tickets and more; 14.4 s below, so a 20-ticket day ends within 2 minutes
    // (the handle timeout alone takes its minimum, a minute, from the start of the shift).
    reopenWindowHours: tickets >= 200 ? 0.01 : 0.004,
    // €25 at 500 tickets (30 agents, about 17 tickets each); €5 for the smallest day.
    payoutMinimumMinor: clamp(Math.round(perAgent * 1.5) * 100, 500, 2500),
    traineeResolutions: [Math.max(1, trainee - 1), trainee],
    // 10% of Northwind's tickets (26 at 500), at least one: the reopen needs a resolution to
    // review, and the earlier it comes the sooner the reopened ticket is worked again.
    reviewAfterResolved: Math.max(1, Math.round(tickets * NORTHWIND_SHARE * 0.1)),
    // About 4 minutes at 500; a big day gets the time its tickets need.
    workLimitMs: 180_000 + tickets * 100,
    dbPoolSize: Math.min(30, agents + 10),
  };
}

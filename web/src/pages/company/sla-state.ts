import { secondsUntil } from '../../ui/times';

/** What an SLA badge says about a ticket now. */
export type SlaState =
  | { kind: 'met' }
  /** `agoSeconds` while the ticket still waits (how long past its deadline). */
  | { kind: 'breached'; agoSeconds: number | null }
  | { kind: 'waiting'; leftSeconds: number };

interface SlaFacts {
  status: string;
  slaDeadline: string;
  slaBreachedAt: string | null;
  claimedAt: string | null;
}

/**
 * The SLA is a deadline to claim. Once an agent holds the ticket it is settled: breached when
 * the breach is recorded, or when the ticket was claimed after its deadline (the sweep that
 * records it may run late: a backlog, workers down; it will record it, since the ticket was open
 * past the deadline). While the ticket waits, the time left, or the breach (recorded, or due).
 */
export function slaState(ticket: SlaFacts, now: number): SlaState {
  if (ticket.status !== 'open') {
    const late =
      ticket.claimedAt !== null && new Date(ticket.claimedAt) > new Date(ticket.slaDeadline);
    return ticket.slaBreachedAt || late ? { kind: 'breached', agoSeconds: null } : { kind: 'met' };
  }
  const left = secondsUntil(ticket.slaDeadline, now);
  if (ticket.slaBreachedAt || left < 0) return { kind: 'breached', agoSeconds: -left };
  return { kind: 'waiting', leftSeconds: left };
}

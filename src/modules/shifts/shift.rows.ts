import type { SeatAvailability } from './shift-rules';
import { Shift } from './shift.entity';

/** Row shapes the shifts repositories return and the mappers (shift.mapper.ts) read. */

export interface IdRow {
  id: string;
}

export interface RequiredSkillRow {
  skill: string;
  minLevel: number;
}

/** A shift with its required skills, in skill order. */
export interface ShiftWithSkills extends Shift {
  requiredSkills: RequiredSkillRow[];
}

/** A claim as the agent sees it: the seat and the shift it is on. */
export interface ShiftClaimViewRow {
  id: string;
  shift_id: string;
  agent_id: string;
  company_id: string;
  title: string | null;
  starts_at: Date;
  ends_at: Date;
  status: string;
  source: string;
  check_in_deadline: Date;
  /** The seat's start: the shift's, or the claim's when taken after it. */
  held_from: Date;
  claimed_at: Date;
  checked_in_at: Date | null;
  checked_out_at: Date | null;
  completed_at: Date | null;
  cancelled_at: Date | null;
  late_cancellation: boolean;
  cancelled_by: 'agent' | 'company' | 'suspension' | null;
  no_show_at: Date | null;
  rate_amount_minor: string;
  rate_currency: string;
  /** A completed seat's checked-in time less its time away, in seconds (else null). */
  worked_seconds: number | null;
  /** A checked-in seat's availability (else null). */
  availability: SeatAvailability | null;
}

/** A claim on a shift as its company sees it (the agent's display name comes from agents). */
export interface SeatHolderRow {
  claimId: string;
  agentId: string;
  status: string;
  source: string;
  claimedAt: Date;
  checkedInAt: Date | null;
  checkedOutAt: Date | null;
  cancelledAt: Date | null;
  lateCancellation: boolean;
  noShowAt: Date | null;
}

export interface WaitlistEntryRow {
  agentId: string;
  joinedAt: Date;
}

/** A page key of a shift listing. */
export interface ShiftKeyRow {
  id: string;
  starts_at: Date;
}

export interface OpenShiftRow extends ShiftKeyRow {
  company_id: string;
  /** The agent's place in the shift's waitlist; null when not in line. */
  waitlist_position: number | null;
}

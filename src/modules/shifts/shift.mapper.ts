import { openToAllAt } from './eligibility';
import type { SeatPay } from './pay-per-hour.service';
import { checkOutCompletesAt } from './seat-window';
import { givenLate } from './shift-rules';
import { ExpectedHourlyDto, OpenShiftDto } from './open-shift.dto';
import { ShiftClaimDto } from './shift-claim.dto';
import { SurgeDto } from './shift-write.dto';
import { SeatHolderDto, ShiftDto, WaitlistedAgentDto } from './shift.dto';
import { SeatHolderRow, ShiftClaimViewRow, ShiftWithSkills, WaitlistEntryRow } from './shift.rows';

export function toShiftDto(s: ShiftWithSkills): ShiftDto {
  return {
    id: s.id,
    companyId: s.companyId,
    title: s.title,
    startsAt: s.startsAt,
    endsAt: s.endsAt,
    seats: s.seats,
    seatsTaken: s.seatsTaken,
    seatsLeft: s.seats - s.seatsTaken,
    requiredSkills: s.requiredSkills,
    languages: s.languages,
    ratePerTicket: { amountMinor: s.rateAmountMinor, currency: s.rateCurrency },
    requiresCertification: s.requiresCertification,
    checkInGraceMinutes: s.checkInGraceMinutes,
    routing: s.routing,
    offerSeconds: s.offerSeconds,
    maxAwayMinutes: s.maxAwayMinutes,
    minQuality: s.minQuality,
    earlyAccessHours: s.earlyAccessHours,
    earlyAccessMinQuality: s.earlyAccessMinQuality,
    openToAllAt: openToAllAt(s),
    surge: surgeOf(s),
    status: s.status,
    cancelledAt: s.cancelledAt,
    cancelReason: s.cancelReason,
    completedAt: s.completedAt,
    createdAt: s.createdAt,
  };
}

/** The shift's surge settings, or null (ck_shifts_surge: all three columns or none). */
export function surgeOf(s: ShiftWithSkills): SurgeDto | null {
  if (s.surgeMaxMultiplierBps === null) return null;
  return {
    maxMultiplierBps: s.surgeMaxMultiplierBps,
    openTicketsPerAgent: s.surgeOpenTicketsPerAgent!,
    budgetMinor: s.surgeBudgetMinor!,
  };
}

export function toOpenShiftDto(
  s: ShiftWithSkills,
  companyName: string,
  claimsCloseAt: Date,
  expectedHourly: ExpectedHourlyDto,
  waitlistPosition: number | null = null,
  waitlistClosesAt: Date | null = null,
): OpenShiftDto {
  return {
    id: s.id,
    companyId: s.companyId,
    companyName,
    title: s.title,
    startsAt: s.startsAt,
    endsAt: s.endsAt,
    claimsCloseAt,
    seatsLeft: s.seats - s.seatsTaken,
    requiredSkills: s.requiredSkills,
    languages: s.languages,
    ratePerTicket: { amountMinor: s.rateAmountMinor, currency: s.rateCurrency },
    requiresCertification: s.requiresCertification,
    checkInGraceMinutes: s.checkInGraceMinutes,
    minQuality: s.minQuality,
    openToAllAt: openToAllAt(s),
    expectedHourly,
    waitlistPosition,
    waitlistClosesAt: waitlistPosition === null ? null : waitlistClosesAt,
  };
}

/** The operator's windows (CHECK_IN_OPENS_MINUTES, LATE_CANCEL_WINDOW_MINUTES), in minutes. */
export interface SeatWindows {
  checkInOpensMinutes: number;
  lateCancelMinutes: number;
  /** SEAT_CLAIM_CLOSES_MINUTES_BEFORE_END: until then (or half the shift) a check-out is leaving early. */
  claimCloseMinutes: number;
}

const minutesBefore = (at: Date, minutes: number) => new Date(at.getTime() - minutes * 60_000);

export function toShiftClaimDto(
  r: ShiftClaimViewRow,
  companyName: string,
  windows: SeatWindows,
  pay: SeatPay | undefined,
): ShiftClaimDto {
  return {
    id: r.id,
    shiftId: r.shift_id,
    companyId: r.company_id,
    companyName,
    shiftTitle: r.title,
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    status: r.status,
    source: r.source,
    checkInDeadline: r.check_in_deadline,
    checkInOpensAt: minutesBefore(r.starts_at, windows.checkInOpensMinutes),
    lateCancelStartsAt: givenLate(
      { source: r.source, claimedAt: r.claimed_at, heldFrom: r.held_from },
      windows.lateCancelMinutes,
    )
      ? r.ends_at // given by the waitlist inside the late window: never a late cancellation
      : minutesBefore(r.held_from, windows.lateCancelMinutes),
    checkOutCompletesAt: checkOutCompletesAt(
      { endsAt: r.ends_at },
      { heldFrom: r.held_from, checkedInAt: r.checked_in_at },
      windows.claimCloseMinutes,
    ),
    claimedAt: r.claimed_at,
    checkedInAt: r.checked_in_at,
    checkedOutAt: r.checked_out_at,
    completedAt: r.completed_at,
    cancelledAt: r.cancelled_at,
    endedBy: r.cancelled_by,
    lateCancellation: r.late_cancellation,
    noShowAt: r.no_show_at,
    ratePerTicket: { amountMinor: Number(r.rate_amount_minor), currency: r.rate_currency },
    workedSeconds: r.worked_seconds,
    earned: pay?.earned ?? null,
    effectiveHourly: pay?.effectiveHourly ?? null,
    availability: r.availability,
  };
}

export function toSeatHolderDto(r: SeatHolderRow, displayName: string): SeatHolderDto {
  return {
    claimId: r.claimId,
    agentId: r.agentId,
    displayName,
    status: r.status,
    source: r.source,
    claimedAt: r.claimedAt,
    checkedInAt: r.checkedInAt,
    checkedOutAt: r.checkedOutAt,
    cancelledAt: r.cancelledAt,
    lateCancellation: r.lateCancellation,
    noShowAt: r.noShowAt,
  };
}

export function toWaitlistedAgentDto(r: WaitlistEntryRow, displayName: string): WaitlistedAgentDto {
  return { agentId: r.agentId, displayName, joinedAt: r.joinedAt };
}

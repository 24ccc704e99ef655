/**
 * Credit control as other modules meet it (issue 18): shifts ask before a company posts or
 * enlarges a shift. Billing provides it (globally, under this token), so the modules billing
 * itself reads from (shifts, tickets) need not import it.
 */
export interface CreditGate {
  /**
   * Throws PAYMENT_REQUIRED (402) naming the amount when billing holds the company. It reads
   * and stores the hold in its own statements, so the hold it found stays recorded (for the
   * escalation flag) when the caller's transaction rolls back on its refusal.
   */
  assertMayAddDemand(companyId: string): Promise<void>;
}

export const CREDIT_GATE = Symbol('CREDIT_GATE');

/**
 * Whether finance's lift answers the company's hold as it is, over `credit_controls c`: running,
 * and given for this hold (its reason and since when; null for lifts given before lifts named
 * theirs). For intake's escalation flag, read in its own statement (a declared exception to
 * table ownership); billing's CreditControlsRepository has its TypeScript twin.
 */
export const LIFT_ANSWERS_HOLD_SQL = `(c.lifted_until > now()
  AND (c.lifted_hold_since IS NULL
       OR (c.lifted_hold_reason = c.hold_reason AND c.lifted_hold_since = c.hold_since)))`;

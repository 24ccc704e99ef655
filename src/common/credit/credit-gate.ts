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

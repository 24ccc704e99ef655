/**
 * Credit control as other modules meet it (issue 18): shifts ask before a company posts or
 * enlarges a shift. Billing provides it (globally, under this token), so the modules billing
 * itself reads from (shifts, tickets) need not import it.
 */
export interface CreditGate {
  /**
   * Throws PAYMENT_REQUIRED (402) naming the amount when billing holds the company. It reads
   * and stores the hold in its own statements, so the hold it found stays recorded (for the
   * escalation flag) whatever the caller does after its refusal. Call it before opening a
   * transaction, never from inside one: it takes a connection of its own, and transactions
   * each waiting for a second connection can starve the pool.
   */
  assertMayAddDemand(companyId: string): Promise<void>;
}

export const CREDIT_GATE = Symbol('CREDIT_GATE');

/**
 * Whether finance's lift answers the company's hold as it is, over `credit_controls c` (held):
 * running, and given for a hold of the same kind (or an invoice lift that covers the limit
 * too), and for an invoice hold, for every invoice the hold is now about (null reason: a lift
 * given before lifts named their hold answers any).
 * For intake's escalation flag, read in its own statement (a declared exception to table
 * ownership); billing's CreditControlsRepository has its TypeScript twin, liftAnswersHold.
 */
export const LIFT_ANSWERS_HOLD_SQL = `(c.lifted_until > now()
  AND (c.lifted_hold_reason IS NULL
       OR CASE WHEN c.hold_reason = 'credit_limit'
               THEN c.lifted_hold_reason = 'credit_limit' OR c.lift_covers_limit
               ELSE c.lifted_hold_reason <> 'credit_limit' AND cardinality(c.hold_invoice_ids) > 0
                    AND c.hold_invoice_ids <@ c.lifted_invoice_ids END))`;

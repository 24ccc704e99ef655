import type Stripe from 'stripe';
import { ReconciledLineRow } from './payout-lines.repository';

export const RECONCILIATION_CATEGORIES = [
  // paid, and Stripe holds its transfer for the same amount
  'matched',
  // paid, and Stripe's transfer carries another amount
  'amount_mismatch',
  // paid, the amount agrees, but Stripe reversed another amount of it than the ledger booked
  // back to the agent (a `transfer.reversed` event not applied)
  'reversal_mismatch',
  // paid here, but the run's group at Stripe has no such transfer
  'missing_at_stripe',
  // Stripe holds a transfer that no paid line accounts for: one made for a line not marked
  // paid here (a crash between the transfer and its booking, a line failed after a 5xx that
  // had in fact gone through), a second transfer for one line, or one no line knows
  'unexpected_at_stripe',
  // never paid (held, pending, processing, failed or abandoned) and nothing at Stripe for it
  'not_sent',
] as const;
export type ReconciliationCategory = (typeof RECONCILIATION_CATEGORIES)[number];

/** One row of the reconciliation, before names are added. */
export interface ReconciledLine {
  lineId: string | null;
  agentId: string | null;
  amountMinor: number | null;
  category: ReconciliationCategory;
  lineStatus: string | null;
  heldReason: string | null;
  failureCode: string | null;
  stripeTransferId: string | null;
  stripeAmountMinor: number | null;
  /** What the ledger booked back of the line's transfer (null for a line not paid). */
  reversedMinor: number | null;
  /** What Stripe reversed of it (null when Stripe has no transfer). */
  stripeReversedMinor: number | null;
}

const metadata = (t: Stripe.Transfer, key: string): string | null => {
  const v = t.metadata?.[key];
  return typeof v === 'string' && v !== '' ? v : null;
};

/**
 * Every line of a run once, with its category, then every transfer of the run's group at Stripe
 * that no line accounts for. A paid line is matched to its transfer by id; a line not paid here
 * is matched by the line id our transfers carry in their metadata (it was sent after all).
 */
export function reconcileLines(
  lines: ReconciledLineRow[],
  atStripe: Map<string, Stripe.Transfer>,
): ReconciledLine[] {
  const left = new Map(atStripe);
  const byLine = new Map<string, Stripe.Transfer>();
  for (const t of atStripe.values()) {
    const lineId = metadata(t, 'payoutLineId');
    if (lineId && !byLine.has(lineId)) byLine.set(lineId, t);
  }
  const out: ReconciledLine[] = [];
  for (const line of lines) {
    // What the line sent (less than drafted after a clawback), else what it was drafted for.
    const amount = Number(line.transfer_minor ?? line.amount_minor);
    const base = {
      lineId: line.id,
      agentId: line.agent_id,
      amountMinor: amount,
      lineStatus: line.status,
      heldReason: line.held_reason,
      failureCode: line.failure_code,
    };
    if (line.status === 'paid') {
      const transfer = line.stripe_transfer_id ? left.get(line.stripe_transfer_id) : undefined;
      if (transfer) left.delete(transfer.id);
      const reversed = Number(line.reversed_minor);
      const stripeReversed = transfer ? Number(transfer.amount_reversed ?? 0) : null;
      out.push({
        ...base,
        category: !transfer
          ? 'missing_at_stripe'
          : transfer.amount !== amount
            ? 'amount_mismatch'
            : stripeReversed !== reversed
              ? 'reversal_mismatch'
              : 'matched',
        stripeTransferId: line.stripe_transfer_id,
        stripeAmountMinor: transfer?.amount ?? null,
        reversedMinor: reversed,
        stripeReversedMinor: stripeReversed,
      });
      continue;
    }
    const sent = byLine.get(line.id);
    if (sent && left.has(sent.id)) {
      left.delete(sent.id);
      out.push({
        ...base,
        category: 'unexpected_at_stripe',
        stripeTransferId: sent.id,
        stripeAmountMinor: sent.amount,
        reversedMinor: null,
        stripeReversedMinor: Number(sent.amount_reversed ?? 0),
      });
      continue;
    }
    out.push({
      ...base,
      category: 'not_sent',
      stripeTransferId: null,
      stripeAmountMinor: null,
      reversedMinor: null,
      stripeReversedMinor: null,
    });
  }
  // What is left at Stripe, no line accounts for (its metadata says what it claims to be).
  for (const transfer of left.values()) {
    out.push({
      lineId: metadata(transfer, 'payoutLineId'),
      agentId: metadata(transfer, 'agentId'),
      amountMinor: null,
      category: 'unexpected_at_stripe',
      lineStatus: null,
      heldReason: null,
      failureCode: null,
      stripeTransferId: transfer.id,
      stripeAmountMinor: transfer.amount,
      reversedMinor: null,
      stripeReversedMinor: Number(transfer.amount_reversed ?? 0),
    });
  }
  return out;
}

import { PayoutLineDto } from './payout.dto';

/** The columns of GET /v1/payout-runs/{id}/lines.csv (the agent's name and email beside its id). */
export const PAYOUT_LINES_CSV_HEADER = [
  'line_id',
  'agent_id',
  'agent_display_name',
  'agent_email',
  'stripe_account_id',
  'amount_minor',
  'transfer_minor',
  'currency',
  'status',
  'held_reason',
  'stripe_transfer_id',
  'attempts',
  'failure_code',
  'failure_message',
  'paid_at',
  'abandoned_reason',
  // After the first columns, not among them: a sheet that reads them by position still does.
  'reversed_minor',
  'refused',
  'resend_at',
  'abandoned_by',
  'abandoned_at',
].join(',');

/** RFC 4180: a cell with a quote, comma or line break is quoted, its quotes doubled. */
function cell(v: string | number | Date | null): string {
  const s = v === null ? '' : v instanceof Date ? v.toISOString() : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Text that people typed (an agent's display name, finance's reasons, Stripe's messages): a
 * spreadsheet would run a cell starting with = + - @ (or a tab or CR before one) as a formula,
 * so such a cell gets a leading apostrophe, which spreadsheets show as text (OWASP's advice
 * against CSV injection). Ids, amounts and dates are ours and left as they are.
 */
function textCell(v: string | null): string {
  return cell(v !== null && /^[=+\-@\t\r]/.test(v) ? `'${v}` : v);
}

export function toPayoutLineCsvRow(l: PayoutLineDto): string {
  return [
    cell(l.id),
    cell(l.agentId),
    textCell(l.agentDisplayName),
    textCell(l.agentEmail),
    cell(l.stripeAccountId),
    cell(l.amountMinor),
    cell(l.transferMinor),
    cell(l.currency),
    cell(l.status),
    cell(l.heldReason),
    cell(l.stripeTransferId),
    cell(l.attempts),
    cell(l.failureCode),
    textCell(l.failureMessage),
    cell(l.paidAt),
    textCell(l.abandonedReason),
    cell(l.reversedMinor),
    cell(String(l.refused)),
    cell(l.resendAt),
    cell(l.abandonedBy),
    cell(l.abandonedAt),
  ].join(',');
}

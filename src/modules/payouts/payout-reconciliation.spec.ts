import type Stripe from 'stripe';
import { ReconciledLineRow } from './payout-lines.repository';
import { reconcileLines } from './payout-reconciliation';

const line = (id: string, over: Partial<ReconciledLineRow> = {}): ReconciledLineRow => ({
  id,
  agent_id: `agent-${id}`,
  amount_minor: '1000',
  transfer_minor: '1000',
  status: 'paid',
  held_reason: null,
  failure_code: null,
  stripe_transfer_id: `tr_${id}`,
  reversed_minor: '0',
  ...over,
});

const transfer = (
  id: string,
  amount: number,
  metadata: Record<string, string> = {},
  amountReversed = 0,
) => ({ id, amount, metadata, amount_reversed: amountReversed }) as unknown as Stripe.Transfer;

const stripeHolds = (...ts: Stripe.Transfer[]) => new Map(ts.map((t) => [t.id, t]));

describe('reconcileLines', () => {
  it('gives every line one category and lists the transfers no line accounts for', () => {
    const lines = [
      line('a'),
      line('b'),
      line('c'),
      line('d', {
        status: 'held',
        held_reason: 'below_minimum',
        transfer_minor: null,
        stripe_transfer_id: null,
      }),
      line('e', { status: 'failed', failure_code: 'account_closed', stripe_transfer_id: null }),
      line('f', { status: 'processing', stripe_transfer_id: null }),
      line('g', { status: 'abandoned', stripe_transfer_id: null }),
    ];
    const atStripe = stripeHolds(
      transfer('tr_a', 1000, { payoutLineId: 'a' }),
      transfer('tr_b', 999, { payoutLineId: 'b' }),
      // No tr_c: missing. A second transfer for line a: a duplicate payment.
      transfer('tr_a2', 1000, { payoutLineId: 'a', agentId: 'agent-a' }),
      // Made for line f, which never recorded it (a crash before the booking).
      transfer('tr_f', 1000, { payoutLineId: 'f' }),
      transfer('tr_x', 5),
    );
    const out = reconcileLines(lines, atStripe);
    expect(out.map((r) => [r.lineId, r.category, r.lineStatus, r.stripeTransferId])).toEqual([
      ['a', 'matched', 'paid', 'tr_a'],
      ['b', 'amount_mismatch', 'paid', 'tr_b'],
      ['c', 'missing_at_stripe', 'paid', 'tr_c'],
      ['d', 'not_sent', 'held', null],
      ['e', 'not_sent', 'failed', null],
      ['f', 'unexpected_at_stripe', 'processing', 'tr_f'],
      ['g', 'not_sent', 'abandoned', null],
      ['a', 'unexpected_at_stripe', null, 'tr_a2'],
      [null, 'unexpected_at_stripe', null, 'tr_x'],
    ]);
    expect(out.find((r) => r.lineId === 'd')).toMatchObject({ heldReason: 'below_minimum' });
    expect(out.find((r) => r.lineId === 'e')).toMatchObject({ failureCode: 'account_closed' });
    expect(out.find((r) => r.stripeTransferId === 'tr_x')).toMatchObject({
      agentId: null,
      amountMinor: null,
      stripeAmountMinor: 5,
    });
    // Stripe's map is read, not consumed.
    expect(atStripe.size).toBe(5);
  });

  it('compares what a line sent, not what was drafted (a clawback lowered it)', () => {
    const out = reconcileLines(
      [line('a', { amount_minor: '5000', transfer_minor: '3500' })],
      stripeHolds(transfer('tr_a', 3500)),
    );
    expect(out).toEqual([expect.objectContaining({ category: 'matched', amountMinor: 3500 })]);
  });

  it('tells a reversal the ledger did not book (or booked otherwise) from a matched line', () => {
    const out = reconcileLines(
      [line('a'), line('b', { reversed_minor: '400' }), line('c', { reversed_minor: '400' })],
      stripeHolds(
        transfer('tr_a', 1000, {}, 400), // reversed at Stripe, its event never applied
        transfer('tr_b', 1000, {}, 400), // reversed and booked
        transfer('tr_c', 1000, {}, 1000), // reversed again at Stripe since
      ),
    );
    expect(out.map((r) => [r.lineId, r.category, r.reversedMinor, r.stripeReversedMinor])).toEqual([
      ['a', 'reversal_mismatch', 0, 400],
      ['b', 'matched', 400, 400],
      ['c', 'reversal_mismatch', 400, 1000],
    ]);
  });
});

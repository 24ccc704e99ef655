import type Stripe from 'stripe';
import { PayoutTransferLookup } from './payout-transfer-lookup.service';

const line = { id: 'line-1', run_id: 'run-1', stripe_account_id: 'acct_1' };
const transfer = (id: string, payoutLineId: string, reversed = false) =>
  ({ id, metadata: { payoutLineId }, reversed }) as unknown as Stripe.Transfer;

/** Stripe's list, as the SDK's auto-paging iterable: these transfers, in this order. */
function stripeListing(transfers: Stripe.Transfer[]): Stripe {
  return {
    transfers: {
      list: () =>
        (async function* () {
          yield* transfers;
        })(),
    },
  } as unknown as Stripe;
}

describe("a payout line's transfer, looked up before sending it again", () => {
  const lookUp = (transfers: Stripe.Transfer[]) =>
    new PayoutTransferLookup(stripeListing(transfers)).lookUp(line);

  it('is the one naming the line, not another line of the same account', async () => {
    expect((await lookUp([transfer('tr_other', 'line-2'), transfer('tr_1', 'line-1')]))?.id).toBe(
      'tr_1',
    );
    expect(await lookUp([transfer('tr_other', 'line-2')])).toBeNull();
  });

  it('is one not reversed when finance reversed a duplicate in full, whichever Stripe lists first', async () => {
    const duplicate = transfer('tr_dup', 'line-1', true);
    const standing = transfer('tr_paid', 'line-1');
    expect((await lookUp([duplicate, standing]))?.id).toBe('tr_paid');
    expect((await lookUp([standing, duplicate]))?.id).toBe('tr_paid');
  });

  it('is the first reversed one when every one was reversed', async () => {
    const found = await lookUp([
      transfer('tr_a', 'line-1', true),
      transfer('tr_b', 'line-1', true),
    ]);
    expect(found?.id).toBe('tr_a');
  });
});

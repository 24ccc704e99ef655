import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { isUuid } from '../../common/validation/uuid';
import { PayoutLineRow } from './payout-lines.repository';

/** What a Stripe transfer reversal books. */
export type ReversedLineRow = Pick<
  PayoutLineRow,
  'id' | 'agent_id' | 'currency' | 'reversed_minor' | 'status' | 'stripe_transfer_id'
>;

/** payout_lines as a transfer reversal books one (`transfer.reversed`, StripeEventHandler). */
@Injectable()
export class PayoutLineReversalsRepository {
  /** The line a Stripe transfer paid (by its id, or the line id in its metadata), locked. */
  async lockByTransfer(
    em: EntityManager,
    transferId: string,
    lineId: string,
  ): Promise<ReversedLineRow | undefined> {
    const [line]: ReversedLineRow[] = await em.query(
      // By id through the primary key (id::text scanned every line); metadata is free text at
      // Stripe, so a value not shaped like our ids looks up nothing.
      `SELECT id, agent_id, currency, reversed_minor, status, stripe_transfer_id FROM payout_lines
        WHERE stripe_transfer_id = $1 OR id = $2::uuid FOR UPDATE`,
      [transferId, isUuid(lineId) ? lineId : null],
    );
    return line;
  }

  async setReversed(em: EntityManager, lineId: string, reversedMinor: number): Promise<void> {
    await em.query(
      'UPDATE payout_lines SET reversed_minor = $2, updated_at = now() WHERE id = $1',
      [lineId, reversedMinor],
    );
  }
}

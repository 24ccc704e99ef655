import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

/**
 * What happens to an issued invoice's charge after it was paid: a dispute, a refund, the credit
 * a lost dispute gave back, and billing the rest again. The caller locked the invoice's row.
 */
@Injectable()
export class PaidInvoicesRepository {
  async setDispute(
    em: EntityManager,
    id: string,
    disputeId: string,
    status: string,
    amountMinor: number,
  ): Promise<void> {
    await em.query(
      `UPDATE invoices SET dispute_id = $2, dispute_status = $3, disputed_minor = $4,
              updated_at = now() WHERE id = $1`,
      [id, disputeId, status, amountMinor],
    );
  }

  /** How much of its charge Stripe has refunded now (the caller locked the row). */
  async setRefunded(em: EntityManager, id: string, amountMinor: number): Promise<void> {
    await em.query(`UPDATE invoices SET refunded_minor = $2, updated_at = now() WHERE id = $1`, [
      id,
      amountMinor,
    ]);
  }

  async addCredited(em: EntityManager, id: string, amountMinor: number): Promise<void> {
    await em.query(
      `UPDATE invoices SET credited_minor = credited_minor + $2, updated_at = now() WHERE id = $1`,
      [id, amountMinor],
    );
  }

  /** Finance billed the rest of the invoice's lost dispute again (the caller locked the row). */
  async setRebilled(em: EntityManager, id: string, amountMinor: number, by: string): Promise<void> {
    await em.query(
      `UPDATE invoices SET rebilled_minor = $2, rebilled_at = now(), rebilled_by = $3,
              updated_at = now()
        WHERE id = $1`,
      [id, amountMinor, by],
    );
  }
}

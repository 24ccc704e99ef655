import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { changedRows } from '../../database/sql';

export interface BillingCustomerRow {
  company_id: string;
  stripe_customer_id: string;
  payment_method_id: string | null;
  card_brand: string | null;
  card_last4: string | null;
  card_exp_month: number | null;
  card_exp_year: number | null;
  payment_method_set_at: Date | null;
}

export interface SavedCard {
  paymentMethodId: string;
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
}

/** `billing_customers`: each company's Stripe Customer and its default card. */
@Injectable()
export class BillingCustomersRepository {
  async ofCompany(em: EntityManager, companyId: string): Promise<BillingCustomerRow | undefined> {
    const [row]: BillingCustomerRow[] = await em.query(
      'SELECT * FROM billing_customers WHERE company_id = $1',
      [companyId],
    );
    return row;
  }

  /** The first customer stays (a concurrent setup made the same one: Stripe's idempotency). */
  async insertIfAbsent(em: EntityManager, companyId: string, customerId: string): Promise<void> {
    await em.query(
      `INSERT INTO billing_customers (company_id, stripe_customer_id) VALUES ($1, $2)
       ON CONFLICT DO NOTHING`,
      [companyId, customerId],
    );
  }

  /**
   * Saves the customer's default card as of a Stripe event's time; an older event than the
   * one that set the current card changes nothing. Returns the company, or null (no such
   * customer, or an older event).
   */
  async setCard(
    em: EntityManager,
    customerId: string,
    card: SavedCard,
    at: Date,
  ): Promise<string | null> {
    const rows = await changedRows<{ company_id: string }>(
      em,
      `UPDATE billing_customers
          SET payment_method_id = $2, card_brand = $3, card_last4 = $4, card_exp_month = $5,
              card_exp_year = $6, payment_method_set_at = $7
        WHERE stripe_customer_id = $1
          AND (payment_method_set_at IS NULL OR payment_method_set_at <= $7)
        RETURNING company_id`,
      [customerId, card.paymentMethodId, card.brand, card.last4, card.expMonth, card.expYear, at],
    );
    return rows[0]?.company_id ?? null;
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each company's Stripe Customer (issue 18), made once by the billing setup, and the card saved
 * through Checkout: Stripe's payment method id with its brand and last four digits (what the
 * company sees), and the Stripe event time that set it (an older event never overwrites it).
 */
export class BillingCustomers1795970000000 implements MigrationInterface {
  name = 'BillingCustomers1795970000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE billing_customers (
        company_id uuid PRIMARY KEY CONSTRAINT fk_billing_customers_company REFERENCES companies (id),
        stripe_customer_id text NOT NULL CONSTRAINT uq_billing_customers_stripe UNIQUE,
        payment_method_id text,
        card_brand text,
        card_last4 text,
        card_exp_month int,
        card_exp_year int,
        payment_method_set_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ck_billing_customers_card CHECK (
          (payment_method_id IS NULL) = (payment_method_set_at IS NULL))
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE billing_customers`);
  }
}

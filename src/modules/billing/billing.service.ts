import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import Stripe from 'stripe';
import { DataSource, EntityManager } from 'typeorm';
import { requireCompany, requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { runUnwatched } from '../../common/http/request-context';
import { Env } from '../../config/env.validation';
import { CompaniesService } from '../companies/companies.service';
import { LedgerService } from '../ledger/ledger.service';
import { OutboxService } from '../outbox/outbox.service';
import { callStripe } from '../stripe/stripe-call';
import { createHarmlessOnce } from '../stripe/stripe-errors';
import { STRIPE } from '../stripe/stripe.module';
import { UsersService } from '../users/users.service';
import { BillingCustomerRow, BillingCustomersRepository } from './billing-customers.repository';
import { BillingDto, BillingSetupDto } from './billing.dto';
import { CreditControlService } from './credit-control.service';
import { InvoiceReceivablesRepository } from './invoice-receivables.repository';
import { InvoicesRepository } from './invoices.repository';

/**
 * How a company pays: its Stripe Customer (made once), the card saved through Stripe Checkout
 * in setup mode, and what it owes. The card reaches us as Stripe's `checkout.session.completed`
 * (applied by the Stripe event job), never from the browser's return.
 */
@Injectable()
export class BillingService {
  private readonly logger = new Logger(BillingService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(STRIPE) private readonly stripe: Stripe,
    private readonly config: ConfigService<Env, true>,
    private readonly customers: BillingCustomersRepository,
    private readonly companies: CompaniesService,
    private readonly users: UsersService,
    private readonly ledger: LedgerService,
    private readonly invoices: InvoicesRepository,
    private readonly outbox: OutboxService,
    private readonly credit: CreditControlService,
    private readonly receivables: InvoiceReceivablesRepository,
  ) {}

  async get(actor: Actor): Promise<BillingDto> {
    const companyId = requireCompany(actor);
    const em = this.db.manager;
    const company = await this.companies.settingsOf(em, companyId);
    if (!company) throw DomainError.notFound('Company');
    const row = await this.customers.ofCompany(em, companyId);
    const balances = await this.ledger.balances(em, companyId);
    return {
      stripeCustomerId: row?.stripe_customer_id ?? null,
      paymentMethod:
        row?.payment_method_id != null
          ? {
              brand: row.card_brand!,
              last4: row.card_last4!,
              expMonth: row.card_exp_month!,
              expYear: row.card_exp_year!,
              savedAt: row.payment_method_set_at!,
            }
          : null,
      billingPeriod: company.billingPeriod,
      billingEmail: company.billingEmail,
      timeZone: company.timeZone,
      outstanding: balances
        .filter((b) => b.account === 'company_receivable' && b.balance !== 0)
        .map((b) => ({ currency: b.currency, amountMinor: b.balance }))
        .sort((a, b) => a.currency.localeCompare(b.currency)),
      writtenOff: (await this.receivables.writtenOffUnpaid(em, companyId)).map((i) => ({
        invoiceId: i.id,
        number: i.number,
        currency: i.currency,
        amountMinor: Number(i.total_minor) - Number(i.credited_minor),
        hostedInvoiceUrl: i.hosted_invoice_url,
      })),
      credit: await this.credit.standing(em, companyId),
    };
  }

  /**
   * Makes the company's Stripe Customer on the first call (the idempotency key from the company
   * id: a retry or a concurrent call gets the same customer), then a Checkout session in setup
   * mode that returns to the console's billing page.
   */
  async setup(actor: Actor): Promise<BillingSetupDto> {
    const companyId = requireCompany(actor);
    const { userId } = requireUser(actor, 'company_admin');
    const row = await this.ensureCustomer(companyId, userId);
    const base = this.config.get('PUBLIC_URL', { infer: true });
    // `since`: a card saved for this session is saved after now. The console, back on the
    // billing page, waits for one (a replaced card would otherwise show the old one as if done).
    const since = Math.floor(Date.now() / 1000);
    const session = await callStripe(() =>
      this.stripe.checkout.sessions.create({
        mode: 'setup',
        customer: row.stripe_customer_id,
        allowed_payment_method_types: ['card'],
        success_url: `${base}/company/billing?setup=done&since=${since}`,
        cancel_url: `${base}/company/billing?setup=cancelled`,
        metadata: { companyId },
      }),
    );
    return { url: session.url!, expiresAt: new Date(session.expires_at * 1000) };
  }

  /**
   * The company's Stripe Customer, made on first use (setup, or its first invoice) with an
   * idempotency key from the company's id, so concurrent callers get the same one. Its email:
   * the billing email, else the company's admin's.
   */
  async ensureCustomer(companyId: string, adminId: string | null): Promise<BillingCustomerRow> {
    const em = this.db.manager;
    const existing = await this.customers.ofCompany(em, companyId);
    if (existing) return existing;
    const admin = adminId ? await this.users.findById(adminId) : null;
    const details = await this.customerDetails(companyId);
    if (!details || (adminId && !admin))
      throw new DomainError('UNAUTHENTICATED', 'This account no longer exists');
    // The key's parameters are the company's id alone: a caller whose answer was lost (the
    // customer made at Stripe, no row here) and the next (another admin, or the invoice job
    // with none) would otherwise send the key with another email, which Stripe refuses for a
    // day. Name and email follow in an update, which any caller may repeat.
    const created = await callStripe(() =>
      createHarmlessOnce(`company-customer-${companyId}`, (idempotencyKey) =>
        this.stripe.customers.create({ metadata: { companyId } }, { idempotencyKey }),
      ),
    );
    const customer = await callStripe(() => this.stripe.customers.update(created.id, details));
    // Together: a row kept without its sync would be found by every later call, and the sync
    // never written. Unwatched: side work of a keyed setup, whose own effect is its session.
    await runUnwatched(() =>
      this.db.transaction(async (tx) => {
        await this.customers.insertIfAbsent(tx, companyId, customer.id);
        // A rename or a new billing email committed meanwhile found no customer to give it to.
        await this.outbox.enqueue(tx, 'billing.customer-sync', { companyId });
      }),
    );
    return (await this.customers.ofCompany(em, companyId))!;
  }

  /**
   * The `billing.customer-sync` job: the company's name and billing email (else its admin's)
   * onto its Stripe customer, which invoices and Stripe's payment emails use. Read again after
   * the update: a change that committed meanwhile (its own job may have written first) is
   * written too, so the customer ends as the settings are, whatever the order of the jobs.
   */
  async syncCustomer(companyId: string): Promise<{ synced: boolean }> {
    const row = await this.customers.ofCompany(this.db.manager, companyId);
    if (!row) return { synced: false }; // made later, with the settings of then
    let wanted = await this.customerDetails(companyId);
    for (let round = 0; wanted && round < 3; round++) {
      const sent = wanted;
      try {
        await callStripe(() => this.stripe.customers.update(row.stripe_customer_id, sent));
      } catch (e) {
        // Stripe refused (the customer deleted in its dashboard, an email it will not take):
        // retrying for hours changes nothing. Said once, for finance to fix at Stripe.
        if (!(e instanceof DomainError) || e.code !== 'CONFLICT') throw e;
        this.logger.error(
          { companyId, stripeCustomerId: row.stripe_customer_id, stripeMessage: e.message },
          "Stripe refused the company's name or billing email; its customer keeps the old ones",
        );
        return { synced: false };
      }
      wanted = await this.customerDetails(companyId);
      if (wanted?.name === sent.name && wanted.email === sent.email) return { synced: true };
    }
    if (!wanted) return { synced: false }; // the company is gone
    throw new Error(`company ${companyId}'s billing details kept changing; the job retries`);
  }

  /** Name and email as the Stripe customer should have them ('' unsets the email at Stripe). */
  private async customerDetails(
    companyId: string,
  ): Promise<{ name: string; email: string } | null> {
    const em = this.db.manager;
    const company = await this.companies.settingsOf(em, companyId);
    if (!company) return null;
    const email = company.billingEmail ?? (await this.users.adminEmailOf(em, companyId)) ?? '';
    return { name: company.name, email };
  }

  /**
   * Stripe's `checkout.session.completed` for a setup: the card it saved becomes the
   * customer's default at Stripe (invoices charge it) and ours, unless a newer event already
   * set one. Inside the event job's transaction.
   */
  async applyCheckoutCompleted(
    em: EntityManager,
    session: Stripe.Checkout.Session,
    eventCreated: number,
  ): Promise<void> {
    if (session.mode !== 'setup' || !session.setup_intent || !session.customer) return;
    const intentId =
      typeof session.setup_intent === 'string' ? session.setup_intent : session.setup_intent.id;
    const intent = await this.stripe.setupIntents.retrieve(intentId);
    if (intent.status !== 'succeeded' || !intent.payment_method) return;
    const pmId =
      typeof intent.payment_method === 'string' ? intent.payment_method : intent.payment_method.id;
    const pm = await this.stripe.paymentMethods.retrieve(pmId);
    if (!pm.card) return;
    const customerId =
      typeof session.customer === 'string' ? session.customer : session.customer.id;
    const companyId = await this.customers.setCard(
      em,
      customerId,
      {
        paymentMethodId: pm.id,
        brand: pm.card.brand,
        last4: pm.card.last4,
        expMonth: pm.card.exp_month,
        expYear: pm.card.exp_year,
      },
      new Date(eventCreated * 1000),
    );
    if (companyId) {
      await this.stripe.customers.update(customerId, {
        invoice_settings: { default_payment_method: pm.id },
      });
      // A new card: charge what is unpaid now rather than at Stripe's next retry.
      for (const invoice of await this.invoices.unpaidOf(em, companyId)) {
        await this.outbox.enqueue(em, 'billing.invoice-pay', {
          invoiceId: invoice.id,
          attempt: `card-${pm.id}`,
        });
      }
    }
  }
}

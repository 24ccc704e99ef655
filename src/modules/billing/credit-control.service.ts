import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { runUnwatched } from '../../common/http/request-context';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireCompany, requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import type { CreditGate } from '../../common/credit/credit-gate';
import { DomainError } from '../../common/errors/domain-error';
import { formatMoney } from '../../common/money/format-money';
import { Env } from '../../config/env.validation';
import { perCurrency } from '../../config/per-currency';
import { CompaniesService } from '../companies/companies.service';
import { LedgerService } from '../ledger/ledger.service';
import {
  CreditControlsRepository,
  HoldReason,
  liftAnswersHold,
  liftCovers,
  liftTermsFor,
} from './credit-controls.repository';
import { CreditStandingDto, LiftHoldDto, SetCreditLimitDto } from './credit.dto';
import { InvoiceRow } from './invoice.rows';
import { InvoiceReceivablesRepository } from './invoice-receivables.repository';

const DAY = 86_400_000;

/** The words and amount of an invoice hold: the first invoice past due, else written off. */
function invoiceHold(
  reason: 'past_due' | 'written_off',
  pastDue: InvoiceRow[],
  writtenOff: InvoiceRow[],
  graceDays: number,
): { message: string; amount: { currency: string; amountMinor: number } } {
  if (reason === 'past_due') {
    const first = pastDue[0];
    const amount = { currency: first.currency, amountMinor: Number(first.total_minor) };
    // With no grace at all (a setting some platforms choose) "for more than 0 days" would read
    // oddly: the hold then comes with the first failed charge.
    const since =
      graceDays > 0 ? ` for more than ${graceDays} day${graceDays === 1 ? '' : 's'}` : '';
    return {
      amount,
      message:
        `Invoice ${first.number ?? first.id} for ${formatMoney(amount)} has been past due${since}: ` +
        'pay it (save a working card) or ask finance to lift the hold',
    };
  }
  // Written off unpaid: the books moved the debt to bad debt, and the receivable (and a
  // past-due status) no longer show it; the company is held as if it were past due.
  const first = writtenOff[0];
  const amount = {
    currency: first.currency,
    amountMinor: Number(first.total_minor) - Number(first.credited_minor),
  };
  return {
    amount,
    message:
      `Invoice ${first.number ?? first.id} for ${formatMoney(amount)} was written off unpaid: ` +
      'pay it or ask finance to lift the hold',
  };
}

/**
 * Credit control. A company is held when an invoice has stayed past due longer than the grace
 * period, when an invoice was written off unpaid, or when what it owes in a currency (its
 * receivable: booked and not yet paid, invoiced or not) passes that currency's credit limit.
 * Held, it cannot post or enlarge shifts (402 PAYMENT_REQUIRED naming the amount); its bot's
 * escalations are still taken, and flagged. Finance sets a company's limit and can lift a hold
 * for a while: the lift answers holds of its kind, and of its invoices (liftAnswersHold). The
 * hold is computed fresh
 * where it decides something (a shift) and stored for the escalation flag, refreshed by those
 * checks, by invoice changes and by every billing sweep.
 */
@Injectable()
export class CreditControlService implements CreditGate {
  private readonly logger = new Logger(CreditControlService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: ConfigService<Env, true>,
    private readonly controls: CreditControlsRepository,
    private readonly receivables: InvoiceReceivablesRepository,
    private readonly ledger: LedgerService,
    private readonly companies: CompaniesService,
  ) {
    this.defaultLimit = config.get('CREDIT_LIMIT_MINOR', { infer: true });
    this.configuredLimit = perCurrency(
      this.defaultLimit,
      config.get('CREDIT_LIMIT_MINOR_BY_CURRENCY', { infer: true }),
    );
  }

  private readonly defaultLimit: number;
  /** The configured limit of each currency (CREDIT_LIMIT_MINOR_BY_CURRENCY, else the default). */
  private readonly configuredLimit: (currency: string) => number;

  /**
   * The company's standing, computed now (and stored, for the escalation flag), under the lock
   * of the company's credit row: read before a payment or write-off committed and stored after
   * it, a standing put back the hold that use case had just cleared (or the reverse).
   */
  async standing(em: EntityManager, companyId: string): Promise<CreditStandingDto> {
    if (!em.queryRunner?.isTransactionActive) {
      // On the side of what a keyed request asked (a shift posted): not its own change.
      return runUnwatched(() => this.db.transaction((tx) => this.standing(tx, companyId)));
    }
    const row = await this.controls.lock(em, companyId);
    // The company's own limit of the currency, else its own in every currency, else the
    // configured one of the currency.
    const own = row?.credit_limit_minor != null ? Number(row.credit_limit_minor) : null;
    const ownByCurrency = row?.credit_limits_by_currency ?? {};
    const limitIn = (currency: string) =>
      ownByCurrency[currency] ?? own ?? this.configuredLimit(currency);
    const owed = (await this.ledger.balances(em, companyId))
      .filter((b) => b.account === 'company_receivable' && b.balance > 0)
      .map((b) => ({ currency: b.currency, amountMinor: b.balance }))
      .sort((a, b) => a.currency.localeCompare(b.currency));
    const graceDays = this.config.get('PAST_DUE_GRACE_DAYS', { infer: true });
    const pastDue = await this.receivables.pastDue(
      em,
      companyId,
      new Date(Date.now() - graceDays * DAY),
    );
    // Every unpaid invoice, past due or written off, every time: a lift for one past-due
    // invoice must not hide another written off since.
    const writtenOff = await this.receivables.writtenOffUnpaid(em, companyId);
    const invoiceReason: HoldReason | null =
      pastDue.length > 0 ? 'past_due' : writtenOff.length > 0 ? 'written_off' : null;
    const invoiceIds = [...pastDue, ...writtenOff].map((i) => i.id);
    const over = owed.find((o) => o.amountMinor > limitIn(o.currency));
    // The hold is the first of the two the lift does not answer, else the invoices' (shown as
    // lifted). An invoice lift does not answer the limit: a past-due company under one owed
    // without a limit while it ran. Lifting that hold too adds the limit to the same lift
    // (lift below), so that neither of the two replaces the other.
    const lifted = row ? liftCovers(row, invoiceIds) : { invoices: false, limit: false };
    const reason: HoldReason | null =
      invoiceReason !== null && !lifted.invoices
        ? invoiceReason
        : over && !lifted.limit
          ? 'credit_limit'
          : (invoiceReason ?? (over ? 'credit_limit' : null));
    const { message, amount } =
      reason === 'credit_limit'
        ? this.overLimit(over!, limitIn(over!.currency))
        : reason !== null
          ? invoiceHold(reason, pastDue, writtenOff, graceDays)
          : { message: null, amount: null };
    const details = reason
      ? {
          reason,
          ...amount!,
          creditLimitMinor: limitIn(amount!.currency),
          invoiceIds,
        }
      : null;
    // A credit-limit hold is about no invoice: its lift answers it whatever they do.
    const heldInvoices = reason === null || reason === 'credit_limit' ? [] : invoiceIds;
    await this.controls.setHold(em, companyId, reason, details, heldInvoices);
    const stored = await this.controls.find(em, companyId);
    // A lift answers holds of its kind, and of its invoices: another invoice's blocks again.
    const liftedUntil = stored && liftAnswersHold(stored) ? stored.lifted_until : null;
    // Each currency owed in, and the hold's (a write-off may have left nothing owed in it).
    const currencies = [
      ...new Set([...owed.map((o) => o.currency), ...(amount ? [amount.currency] : [])]),
    ];
    return {
      creditLimitMinor: own ?? this.defaultLimit,
      ownCreditLimits: Object.entries(ownByCurrency)
        .map(([currency, limitMinor]) => ({ currency, limitMinor }))
        .sort((a, b) => a.currency.localeCompare(b.currency)),
      creditLimits: currencies
        .sort()
        .map((currency) => ({ currency, limitMinor: limitIn(currency) })),
      owed,
      hold: reason
        ? {
            reason,
            message: message!,
            amountMinor: amount!.amountMinor,
            currency: amount!.currency,
            startedAt: stored!.hold_since!,
            pastDueInvoiceIds: pastDue.map((i) => i.id),
            invoiceIds,
          }
        : null,
      liftEndsAt: liftedUntil,
      liftReason: liftedUntil ? stored!.lift_reason : null,
      blocked: reason !== null && liftedUntil === null,
    };
  }

  private overLimit(over: { currency: string; amountMinor: number }, limitMinor: number) {
    return {
      amount: over,
      message:
        `Your company owes ${formatMoney(over)}, above its credit limit of ` +
        `${formatMoney({ currency: over.currency, amountMinor: limitMinor })}: ` +
        'pay the open invoices or ask finance to lift the hold',
    };
  }

  /** CreditGate: shifts ask before a company posts or enlarges a shift. */
  async assertMayAddDemand(companyId: string): Promise<void> {
    const standing = await this.standing(this.db.manager, companyId);
    if (!standing.blocked) return;
    const hold = standing.hold!;
    throw new DomainError('PAYMENT_REQUIRED', hold.message, {
      reason: hold.reason,
      amountMinor: hold.amountMinor,
      currency: hold.currency,
      // The limit of the hold's currency (a currency of its own may have another).
      creditLimitMinor:
        standing.creditLimits.find((l) => l.currency === hold.currency)?.limitMinor ??
        standing.creditLimitMinor,
      invoiceIds: hold.invoiceIds,
    });
  }

  /** Recomputes the stored hold of every company that owes, is past due, or is held. */
  async refreshAll(): Promise<void> {
    const em = this.db.manager;
    const ids = new Set([
      ...(await this.ledger.receivables(em)).map((r) => r.companyId),
      ...(await this.receivables.pastDueCompanyIds(em)),
      ...(await this.controls.heldCompanyIds(em)),
    ]);
    for (const id of ids) {
      try {
        await this.standing(em, id);
      } catch (e) {
        this.logger.warn({ err: e, companyId: id }, 'credit hold not refreshed');
      }
    }
  }

  /** The company's own view (its billing page). */
  async mine(actor: Actor): Promise<CreditStandingDto> {
    return this.standing(this.db.manager, requireCompany(actor));
  }

  /** Finance: a company's standing. */
  async of(actor: Actor, companyId: string): Promise<CreditStandingDto> {
    requireUser(actor, 'finance');
    await this.assertCompany(companyId);
    return this.standing(this.db.manager, companyId);
  }

  /** Finance: the company's own limit (null: back to the configured default). */
  async setLimit(
    actor: Actor,
    companyId: string,
    input: SetCreditLimitDto,
  ): Promise<CreditStandingDto> {
    requireUser(actor, 'finance');
    await this.assertCompany(companyId);
    return this.db.transaction(async (em) => {
      if (input.currency === undefined) {
        await this.controls.setLimit(em, companyId, input.creditLimitMinor);
      } else {
        await this.controls.setCurrencyLimit(em, companyId, input.currency, input.creditLimitMinor);
      }
      return this.standing(em, companyId);
    });
  }

  /**
   * Finance: lifts the hold as it is now for `hours`, with a reason kept on record. It answers
   * holds of that kind meanwhile (a credit limit's, or one on the same invoices: see
   * liftAnswersHold), not another kind's nor another invoice's; the limit lifted under a
   * running lift of invoices joins it (liftTermsFor). 409 NOT_HELD when not held.
   */
  async lift(actor: Actor, companyId: string, input: LiftHoldDto): Promise<CreditStandingDto> {
    const { userId } = requireUser(actor, 'finance');
    await this.assertCompany(companyId);
    return this.db.transaction(async (em) => {
      const until = new Date(Date.now() + input.hours * 3_600_000);
      // The hold as it is now, stored, for the lift to answer; nothing to lift when not held.
      if (!(await this.standing(em, companyId)).hold) {
        throw new DomainError('NOT_HELD', 'The company is not held: there is nothing to lift');
      }
      const held = (await this.controls.find(em, companyId))!;
      await this.controls.lift(
        em,
        companyId,
        liftTermsFor(held, { until, by: userId, reason: input.reason.trim() }),
      );
      return this.standing(em, companyId);
    });
  }

  private async assertCompany(companyId: string): Promise<void> {
    if (!(await this.companies.settingsOf(this.db.manager, companyId))) {
      throw DomainError.notFound('Company');
    }
  }
}

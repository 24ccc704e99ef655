import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import Stripe from 'stripe';
import { DataSource } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { Env } from '../../config/env.validation';
import { callStripe } from '../stripe/stripe-call';
import { createHarmlessOnce } from '../stripe/stripe-errors';
import { STRIPE } from '../stripe/stripe.module';
import { UsersService } from '../users/users.service';
import { AccountOfAgent, canLinkNew, PayoutAccountsRepository } from './payout-accounts.repository';
import { OnboardingView, PayoutAccountView } from './payout-account.dto';
import { toPayoutAccountDto, toStripeAccountState } from './payout.mapper';

/** An agent's Stripe Connect Express account: created once, then onboarded through Stripe. */
@Injectable()
export class PayoutAccountService {
  private readonly logger = new Logger(PayoutAccountService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(STRIPE) private readonly stripe: Stripe,
    private readonly config: ConfigService<Env, true>,
    private readonly accounts: PayoutAccountsRepository,
    private readonly users: UsersService,
  ) {}

  /**
   * Creates the account on first call (the idempotency key from the agent id makes a retry or
   * a concurrent call return the same Stripe account) and returns a fresh onboarding link. An
   * agent whose account was closed (rejected, or gone from our platform) gets a new one in its
   * place, under a key naming the account it replaces: one new account however often it is
   * asked for, and another if that one is closed in turn.
   */
  async onboard(actor: Actor): Promise<OnboardingView> {
    const { userId } = requireUser(actor, 'agent');
    const current = await this.accounts.stripeAccountOf(this.db.manager, userId);
    let accountId = current?.stripe_account_id;
    if (current?.closed_reason) refuseUnlessRelinkable(current);
    if (!current || current.closed_reason) {
      const replacing = current?.stripe_account_id;
      const account = await this.createAccount(
        userId,
        replacing ? `agent-account-${userId}-replacing-${replacing}` : `agent-account-${userId}`,
      );
      const state = toStripeAccountState(account);
      if (!replacing) {
        await this.accounts.insertIfAbsent(this.db.manager, userId, account.id, state);
      } else if (
        await this.accounts.replaceClosed(this.db.manager, userId, replacing, account.id, state)
      ) {
        this.logger.log(
          {
            agentId: userId,
            closed: replacing,
            closedReason: current?.closed_reason,
            new: account.id,
          },
          'payout account replaced',
        );
      }
      // Another call's doing (the same account, one key), or the closing changed meanwhile: a
      // rejection that allows no new account, or a rejection undone (the old account is kept,
      // and the new one stays unused at Stripe).
      const now = (await this.accounts.stripeAccountOf(this.db.manager, userId))!;
      if (now.closed_reason) refuseUnlessRelinkable(now);
      accountId = now.stripe_account_id;
    }
    // The console's payouts page (web/): it shows the account's state, and a fresh link when
    // Stripe sends the agent to `refresh` because this one expired.
    const base = this.config.get('PUBLIC_URL', { infer: true });
    const link = await callStripe(() =>
      this.stripe.accountLinks.create({
        account: accountId!,
        type: 'account_onboarding',
        refresh_url: `${base}/agent/payouts?onboarding=refresh`,
        return_url: `${base}/agent/payouts?onboarding=return`,
      }),
    );
    return {
      ...(await this.get(actor)),
      onboardingUrl: link.url,
      expiresAt: new Date(link.expires_at * 1000),
    };
  }

  async get(actor: Actor): Promise<PayoutAccountView> {
    const { userId } = requireUser(actor, 'agent');
    const row = await this.accounts.ofAgent(this.db.manager, userId);
    if (!row) throw DomainError.notFound('Payout account');
    return toPayoutAccountDto(row);
  }

  private async createAccount(userId: string, key: string): Promise<Stripe.Account> {
    const user = await this.users.findById(userId);
    // A token outliving its account (access tokens are stateless for 15 minutes).
    if (!user) throw new DomainError('UNAUTHENTICATED', 'This account no longer exists');
    return callStripe(() =>
      createHarmlessOnce(key, (idempotencyKey) =>
        this.stripe.accounts.create(
          {
            type: 'express',
            email: user.email,
            capabilities: { transfers: { requested: true } },
            metadata: { agentId: userId },
          },
          { idempotencyKey },
        ),
      ),
    );
  }
}

/**
 * A closed account the agent may not replace by themselves. The message names no reason: a
 * rejection for fraud or a sanctions list is not the console's to tell.
 */
function refuseUnlessRelinkable(account: AccountOfAgent): void {
  if (canLinkNew(account)) return;
  throw new DomainError(
    'PAYOUT_ACCOUNT_REJECTED',
    'Payouts to you are closed, and a new Stripe account needs our support team',
  );
}

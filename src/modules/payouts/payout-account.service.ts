import { Inject, Injectable } from '@nestjs/common';
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
import { PayoutAccountsRepository } from './payout-accounts.repository';
import { OnboardingView, PayoutAccountView } from './payout.dto';
import { toPayoutAccountDto, toStripeAccountState } from './payout.mapper';

/** An agent's Stripe Connect Express account: created once, then onboarded through Stripe. */
@Injectable()
export class PayoutAccountService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(STRIPE) private readonly stripe: Stripe,
    private readonly config: ConfigService<Env, true>,
    private readonly accounts: PayoutAccountsRepository,
    private readonly users: UsersService,
  ) {}

  /**
   * Creates the account on first call (the idempotency key from the agent id makes a retry or
   * a concurrent call return the same Stripe account) and returns a fresh onboarding link.
   */
  async onboard(actor: Actor): Promise<OnboardingView> {
    const { userId } = requireUser(actor, 'agent');
    let accountId = await this.accountId(userId);
    if (!accountId) {
      const user = await this.users.findById(userId);
      // A token outliving its account (access tokens are stateless for 15 minutes).
      if (!user) throw new DomainError('UNAUTHENTICATED', 'This account no longer exists');
      const account = await callStripe(() =>
        createHarmlessOnce(`agent-account-${userId}`, (idempotencyKey) =>
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
      await this.accounts.insertIfAbsent(
        this.db.manager,
        userId,
        account.id,
        toStripeAccountState(account),
      );
      accountId = (await this.accountId(userId))!;
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

  private accountId(agentId: string): Promise<string | null> {
    return this.accounts.stripeAccountIdOf(this.db.manager, agentId);
  }
}

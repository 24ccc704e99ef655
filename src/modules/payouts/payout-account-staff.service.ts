import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { PayoutAccountsRepository } from './payout-accounts.repository';
import { AllowNewPayoutAccountDto, StaffPayoutAccountView } from './payout-account.dto';
import { toStaffPayoutAccountDto } from './payout.mapper';

/**
 * Staff's side of agents' payout accounts: finance and admins read one with Stripe's own reason
 * for a closing; an admin allows a new account after a closing that allows none by the agent
 * (our support team's decision, e.g. a fraud flag cleared after a check).
 */
@Injectable()
export class PayoutAccountStaffService {
  private readonly logger = new Logger(PayoutAccountStaffService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly accounts: PayoutAccountsRepository,
  ) {}

  async get(actor: Actor, agentId: string): Promise<StaffPayoutAccountView> {
    requireUser(actor, 'admin', 'finance');
    return this.view(this.db.manager, agentId);
  }

  /**
   * Allows a new account after the closing the admin read (its account and reason): 409
   * PAYOUT_ACCOUNT_STATE when the account is open, or its closing changed since (another
   * account, another reason: read it again). Each allowance is kept, with who gave it and why.
   */
  async allowNewAccount(
    actor: Actor,
    agentId: string,
    input: AllowNewPayoutAccountDto,
  ): Promise<StaffPayoutAccountView> {
    const { userId } = requireUser(actor, 'admin');
    return this.db.transaction(async (em) => {
      // The agent's row locked: a relink or an account.updated waits, or went first.
      await this.accounts.lockOfAgent(em, agentId);
      const row = await this.accounts.ofAgent(em, agentId);
      if (!row) throw DomainError.notFound('Payout account');
      if (row.closed_reason === null) {
        throw new DomainError(
          'PAYOUT_ACCOUNT_STATE',
          'The payout account is open: a new one is allowed only in place of a closed one',
        );
      }
      if (
        row.stripe_account_id !== input.stripeAccountId ||
        row.closed_reason !== input.stripeClosedReason
      ) {
        throw new DomainError(
          'PAYOUT_ACCOUNT_STATE',
          `The payout account changed since it was read (now ${row.stripe_account_id}, closed as ${row.closed_reason}): read it again`,
        );
      }
      await this.accounts.insertAllowance(em, agentId, userId, input.reason.trim());
      this.logger.log(
        {
          agentId,
          by: userId,
          stripeAccountId: row.stripe_account_id,
          closedReason: row.closed_reason,
          reason: input.reason.trim(),
        },
        'new payout account allowed',
      );
      return this.view(em, agentId);
    });
  }

  private async view(em: EntityManager, agentId: string): Promise<StaffPayoutAccountView> {
    const row = await this.accounts.ofAgent(em, agentId);
    if (!row) throw DomainError.notFound('Payout account');
    return toStaffPayoutAccountDto(row, await this.accounts.allowancesOf(em, agentId));
  }
}

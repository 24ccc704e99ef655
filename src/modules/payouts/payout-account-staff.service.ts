import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { PayoutAccountsRepository } from './payout-accounts.repository';
import { StaffPayoutAccountView } from './payout.dto';
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
    const row = await this.accounts.ofAgent(this.db.manager, agentId);
    if (!row) throw DomainError.notFound('Payout account');
    return toStaffPayoutAccountDto(row);
  }

  /** 409 PAYOUT_ACCOUNT_STATE when the account is open: there is nothing to replace. */
  async allowNewAccount(
    actor: Actor,
    agentId: string,
    reason: string,
  ): Promise<StaffPayoutAccountView> {
    const { userId } = requireUser(actor, 'admin');
    const allowed = await this.accounts.allowNewAccount(
      this.db.manager,
      agentId,
      userId,
      reason.trim(),
    );
    if (!allowed) {
      if (!(await this.accounts.ofAgent(this.db.manager, agentId))) {
        throw DomainError.notFound('Payout account');
      }
      throw new DomainError(
        'PAYOUT_ACCOUNT_STATE',
        'The payout account is open: a new one is allowed only in place of a closed one',
      );
    }
    this.logger.log({ agentId, by: userId }, 'new payout account allowed');
    return this.get(actor, agentId);
  }
}

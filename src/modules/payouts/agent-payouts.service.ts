import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { decodeCursor, Page, toPage } from '../../common/pagination/page';
import { AgentPayoutDto } from './payout-account.dto';
import { PayoutLinesRepository } from './payout-lines.repository';
import { toAgentPayoutDto } from './payout.mapper';

/** An agent's own payouts: the lines of runs that paid it, newest first. */
@Injectable()
export class AgentPayoutsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly lines: PayoutLinesRepository,
  ) {}

  /**
   * Only paid lines: a held or failed line moved no money, and the agent's earnings already show
   * that money as available. A reversal at Stripe keeps the line, with what was taken back.
   */
  async history(actor: Actor, limit: number, cursor?: string): Promise<Page<AgentPayoutDto>> {
    const { userId } = requireUser(actor, 'agent');
    const after = decodeCursor(cursor, ['instant', 'uuid']);
    const rows = await this.lines.paidToAgent(this.db.manager, userId, after, limit + 1);
    return toPage(rows, limit, toAgentPayoutDto, (r) => [r.paid_key, r.id]);
  }
}

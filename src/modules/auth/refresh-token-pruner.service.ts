import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { HourlyPrune } from '../../common/scheduling/hourly-prune';
import { RefreshTokensRepository } from './refresh-tokens.repository';

/**
 * Days a refresh token is kept after it expired: presented again within them, a used one of a
 * login still alive is taken for a copy and signs that login out (reuse detection); later it is
 * unknown, so merely invalid. Without a prune every token of every login stayed for ever, a
 * hundred a day for a console left open.
 */
export const EXPIRED_REFRESH_TOKENS_KEPT_DAYS = 30;

@Injectable()
export class RefreshTokenPruner extends HourlyPrune {
  protected readonly logger = new Logger(RefreshTokenPruner.name);
  protected readonly what = 'expired refresh tokens';

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly tokens: RefreshTokensRepository,
  ) {
    super();
  }

  protected deleteOld(goOn: () => boolean): Promise<number> {
    return this.tokens.deleteExpiredBefore(this.db.manager, EXPIRED_REFRESH_TOKENS_KEPT_DAYS, goOn);
  }
}

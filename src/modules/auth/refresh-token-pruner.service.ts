import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { HourlyPrune } from '../../common/scheduling/hourly-prune';
import { Env } from '../../config/env.validation';
import { RefreshTokensRepository } from './refresh-tokens.repository';

/**
 * Days a login's tokens are kept after its end (REFRESH_SESSION_MAX_DAYS from its sign-in):
 * while the login lives every spent token of it stays, so that one presented again is taken
 * for a copy and signs the login out (reuse detection); after, a token is unknown, so merely
 * invalid. Without a prune every token of every login stayed for ever, a hundred a day for a
 * console left open.
 */
export const ENDED_LOGINS_KEPT_DAYS = 30;

@Injectable()
export class RefreshTokenPruner extends HourlyPrune {
  protected readonly logger = new Logger(RefreshTokenPruner.name);
  protected readonly what = 'refresh tokens of ended logins';

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly tokens: RefreshTokensRepository,
    private readonly config: ConfigService<Env, true>,
  ) {
    super();
  }

  protected deleteOld(goOn: () => boolean): Promise<number> {
    const maxDays = this.config.get('REFRESH_SESSION_MAX_DAYS', { infer: true });
    return this.tokens.deleteLoginsBegunBefore(
      this.db.manager,
      maxDays + ENDED_LOGINS_KEPT_DAYS,
      goOn,
    );
  }
}

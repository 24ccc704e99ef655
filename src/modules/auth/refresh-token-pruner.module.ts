import { Module } from '@nestjs/common';
import { RefreshTokenPruner } from './refresh-token-pruner.service';
import { RefreshTokensRepository } from './refresh-tokens.repository';

/** The refresh tokens' prune, in worker processes only (AppModule). */
@Module({ providers: [RefreshTokensRepository, RefreshTokenPruner] })
export class RefreshTokenPrunerModule {}

import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { QUALITY_WINDOW_DAYS } from '../../common/quality/quality-window';
import { Env } from '../../config/env.validation';
import { AgentQualityRepository } from './agent-quality.repository';
import { PRIOR_WEIGHT, rankRule, TIER_SHARE } from './quality-score.service';

const DAY = 86_400_000;

/** Keeps `agent_quality` (the router's tiers) in step with ratings and reviews. */
@Injectable()
export class QualityTiers {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly stored: AgentQualityRepository,
    private readonly config: ConfigService<Env, true>,
  ) {}

  /** One rewrite of every agent's score and tier; false when another process is at it. */
  refresh(): Promise<{ refreshed: boolean; agents: number }> {
    const since = new Date(Date.now() - QUALITY_WINDOW_DAYS * DAY);
    return this.db.transaction((em) =>
      this.stored.refresh(em, since, PRIOR_WEIGHT, rankRule(this.config), TIER_SHARE),
    );
  }
}

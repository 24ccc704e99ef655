import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requireCompany } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { QUALITY_WINDOW_DAYS } from '../../common/quality/quality-window';
import { HandoffQualityDto, HandoffTroubleDto } from './handoff-quality.dto';
import { TicketQualityRepository } from './ticket-quality.repository';

const DAY = 86_400_000;
const MOST_MISSING = 10;

/** The company's handoff quality: what its escalations needed that the bot did not give. */
@Injectable()
export class HandoffQualityService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly quality: TicketQualityRepository,
  ) {}

  async ofCompany(actor: Actor): Promise<HandoffQualityDto> {
    const companyId = requireCompany(actor);
    const since = new Date(Date.now() - QUALITY_WINDOW_DAYS * DAY);
    const [counts, missing] = await Promise.all([
      this.quality.handoffCounts(this.db.manager, companyId, since),
      this.quality.missingItems(this.db.manager, companyId, since, MOST_MISSING),
    ]);
    const trouble = (count: number): HandoffTroubleDto => ({
      count,
      share:
        counts.escalations === 0 ? null : Math.round((count / counts.escalations) * 1000) / 1000,
    });
    return {
      windowDays: QUALITY_WINDOW_DAYS,
      escalations: counts.escalations,
      judged: counts.judged,
      incomplete: trouble(counts.incomplete),
      reopened: trouble(counts.reopened),
      transferred: trouble(counts.transferred),
      withdrawn: trouble(counts.withdrawn),
      troubled: trouble(counts.troubled),
      mostMissing: missing,
    };
  }
}

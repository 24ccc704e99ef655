import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireCompany, requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { decodeCursor, toPage } from '../../common/pagination/page';
import { PageQueryDto } from '../../common/pagination/page.dto';
import type { AgentQualityReader } from '../../common/quality/agent-quality';
import { QUALITY_WINDOW_DAYS } from '../../common/quality/quality-window';
import { Env } from '../../config/env.validation';
import { CompaniesService } from '../companies/companies.service';
import { ShiftFacts } from '../shifts/shift-facts.service';
import { TicketClaimFacts } from '../tickets/ticket-claim-facts.service';
import { toDisputeDto } from './quality.mapper';
import { FeedbackPageDto } from './quality.dto';
import { QualityScoreDto, QualityTier, ReopenRateDto } from './quality-score.dto';
import { QualityScoresRepository, RankRule } from './quality-scores.repository';

/** The prior weighs as this many inputs at the platform's mean (three cannot make or break). */
export const PRIOR_WEIGHT = 10;
/**
 * The newest inputs listed with a score (`counted`); GET /v1/agents/me/feedback pages them all.
 * Every input of 90 days was up to thousands of rows on each read of the quality page.
 */
export const COUNTED_SHOWN = 100;
/** Agents with fewer inputs are not ranked: they stay in the middle tier. */
export const TIER_MIN_INPUTS = 10;
/** Who is ranked: TIER_MIN_INPUTS inputs from QUALITY_TIER_MIN_COMPANIES companies. */
export const rankRule = (config: ConfigService<Env, true>): RankRule => ({
  minInputs: TIER_MIN_INPUTS,
  minCompanies: config.get('QUALITY_TIER_MIN_COMPANIES', { infer: true }),
});
/** The share of ranked agents in the top tier, and in the bottom one. */
export const TIER_SHARE = 0.2;
const DAY = 86_400_000;

/**
 * The tier from the agent's place among the ranked ones: top when fewer than 20 % of them
 * score strictly higher, bottom when fewer than 20 % score strictly lower; agents tied share a
 * tier, and a place that is both (everyone tied, or too few ranked) is the middle.
 */
export function tierOf(ranked: number, above: number | null, below: number | null): QualityTier {
  if (above === null || below === null) return 'middle';
  const cut = Math.floor(ranked * TIER_SHARE);
  const top = above < cut;
  const bottom = below < cut;
  if (top && !bottom) return 'top';
  if (bottom && !top) return 'bottom';
  return 'middle';
}

const round = (n: number, places: number) => Math.round(n * 10 ** places) / 10 ** places;
/**
 * A score to two decimals for a company, rounded down from the four a shift's bar is compared
 * at: never above a bar it misses (0.7973 shown as 0.80 was refused by a bar of 0.8), and not
 * below one it meets (0.79996 counts as 0.8000 at the gate). The step keeps 0.8 × 100 from
 * flooring to 79.
 */
const shownToCompany = (score: number) => Math.floor(round(score, 4) * 100 + 1e-9) / 100;

/** An agent's quality score with every input, and the agent's feedback. */
@Injectable()
export class QualityScoreService implements AgentQualityReader {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly scores: QualityScoresRepository,
    private readonly tickets: TicketClaimFacts,
    private readonly shifts: ShiftFacts,
    private readonly companies: CompaniesService,
    private readonly config: ConfigService<Env, true>,
  ) {}

  /** AgentQualityReader: the score alone, as the quality page shows it. */
  async scoreOf(em: EntityManager, agentId: string): Promise<number> {
    const since = new Date(Date.now() - QUALITY_WINDOW_DAYS * DAY);
    const row = await this.scores.score(em, agentId, since, PRIOR_WEIGHT, rankRule(this.config));
    return round(Number(row.score), 4);
  }

  async mine(actor: Actor): Promise<QualityScoreDto> {
    const { userId } = requireUser(actor, 'agent');
    return this.compute(this.db.manager, userId, null);
  }

  /**
   * The score of an agent who held a seat on the company's shifts (others: 404), with the
   * company's own ratings and reviews only in its breakdown and list, and without the overall
   * count, sum and reopen rate, from which other companies' feedback could be worked out.
   */
  async forCompany(actor: Actor, agentId: string): Promise<QualityScoreDto> {
    const companyId = requireCompany(actor);
    const em = this.db.manager;
    if (!(await this.shifts.heldSeatWith(em, agentId, companyId))) {
      throw DomainError.notFound('Agent');
    }
    return this.compute(em, agentId, companyId);
  }

  /** Every rating and review of the agent's work, newest first, counted or not. */
  async feedback(actor: Actor, query: PageQueryDto): Promise<FeedbackPageDto> {
    const { userId } = requireUser(actor, 'agent');
    const em = this.db.manager;
    const before = decodeCursor(query.cursor, ['instant', 'uuid']) as [string, string] | null;
    const rows = await this.scores.feedback(em, userId, before, query.limit);
    const names = await this.companies.namesOf(
      em,
      rows.map((r) => r.company_id),
    );
    const since = Date.now() - QUALITY_WINDOW_DAYS * DAY;
    return toPage(
      rows,
      query.limit,
      (r) => ({
        kind: r.kind,
        ticketId: r.ticket_id,
        companyName: names.get(r.company_id) ?? null,
        stars: r.stars,
        text: r.text,
        tags: r.tags,
        createdAt: r.created_at,
        updatedAt: r.updated_at,
        reviewId: r.review_id,
        dispute: toDisputeDto(r),
        counts: r.created_at.getTime() > since && r.dispute_status !== 'removed',
      }),
      (r) => [r.cursor_at, r.key],
    );
  }

  private async compute(
    em: EntityManager,
    agentId: string,
    onlyCompany: string | null,
  ): Promise<QualityScoreDto> {
    const since = new Date(Date.now() - QUALITY_WINDOW_DAYS * DAY);
    const [score, companies, inputs, reopens, reopensByCompany] = await Promise.all([
      this.scores.score(em, agentId, since, PRIOR_WEIGHT, rankRule(this.config)),
      this.scores.perCompany(em, agentId, since, PRIOR_WEIGHT),
      this.scores.inputsOf(em, agentId, since, onlyCompany, COUNTED_SHOWN),
      this.tickets.resolutionCounts(em, agentId, since),
      this.tickets.resolutionCountsByCompany(em, agentId, since),
    ]);
    const shown = companies.filter((c) => onlyCompany === null || c.company_id === onlyCompany);
    // A company's view: two decimals of the overall score and mean. With four, a company that
    // moved its own review by a known amount and read both again worked out exactly how many
    // inputs the other companies gave and their sum.
    const places = onlyCompany === null ? 4 : 2;
    const names = await this.companies.namesOf(
      em,
      shown.map((c) => c.company_id),
    );
    // One statement for every company's counts: a query per company, all at once, took as many
    // pool connections for an agent who worked for dozens.
    const perCompany = shown.map((c) => ({
      companyId: c.company_id,
      companyName: names.get(c.company_id) ?? null,
      inputs: c.inputs,
      // In a company's view, two decimals as its overall: with four, its own score (whose
      // count and sum it knows) gave the platform's mean away.
      score: onlyCompany === null ? round(Number(c.score), 4) : shownToCompany(Number(c.score)),
      reopenRate: reopenRate(reopensByCompany.get(c.company_id) ?? { resolved: 0, reopened: 0 }),
    }));
    return {
      agentId,
      windowDays: QUALITY_WINDOW_DAYS,
      priorWeight: PRIOR_WEIGHT,
      platformMean: round(Number(score.platform_mean), places),
      // What a company may not see: other companies' feedback, in aggregate or not.
      inputs: onlyCompany === null ? score.inputs : null,
      sum: onlyCompany === null ? round(Number(score.sum), 4) : null,
      score:
        onlyCompany === null ? round(Number(score.score), 4) : shownToCompany(Number(score.score)),
      tier: tierOf(score.ranked, score.above, score.below),
      tierMinInputs: TIER_MIN_INPUTS,
      tierMinCompanies: this.config.get('QUALITY_TIER_MIN_COMPANIES', { infer: true }),
      // The agent's own standing: a company sees the score and tier only.
      rankedAgents: onlyCompany === null ? score.ranked : null,
      agentsAbove: onlyCompany === null ? score.above : null,
      reopenRate: onlyCompany === null ? reopenRate(reopens) : null,
      perCompany,
      counted: inputs.map((i) => ({
        kind: i.kind,
        ticketId: i.ticket_id,
        companyId: i.company_id,
        stars: i.stars,
        value: Number(i.value),
        createdAt: i.created_at,
      })),
    };
  }
}

function reopenRate(c: { resolved: number; reopened: number }): ReopenRateDto {
  return {
    resolved: c.resolved,
    reopened: c.reopened,
    rate: c.resolved === 0 ? null : round(c.reopened / c.resolved, 3),
  };
}

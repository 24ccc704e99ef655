import { ApiProperty } from '@nestjs/swagger';
import { ApiInteger } from '../../common/http/openapi-property';

export const QUALITY_TIERS = ['top', 'middle', 'bottom'] as const;
export type QualityTier = (typeof QUALITY_TIERS)[number];

/** One rating or review counted in the score, mapped to 0–1. */
export class QualityInputDto {
  /** @example rating */
  @ApiProperty({ enum: ['rating', 'review'] })
  kind: 'rating' | 'review';
  /** @example 0f8e7d6c-5b4a-4392-8170-6e5d4c3b2a19 */
  ticketId: string;
  /** @example 5b0e6c1f-8a2d-4c3b-9e7f-1a2b3c4d5e6f */
  companyId: string;
  /**
   * 1–5 as given.
   * @example 4
   */
  @ApiInteger()
  stars: number;
  /**
   * (stars − 1) ÷ 4.
   * @example 0.75
   */
  value: number;
  /** @example 2030-05-04T10:15:00.000Z */
  createdAt: Date;
}

export class ReopenRateDto {
  /**
   * Resolutions in the window.
   * @example 120
   */
  @ApiInteger()
  resolved: number;
  /** @example 3 */
  @ApiInteger()
  reopened: number;
  /**
   * reopened ÷ resolved, to three decimals; null without resolutions.
   * @example 0.025
   */
  rate: number | null;
}

export class CompanyQualityDto {
  /** @example 5b0e6c1f-8a2d-4c3b-9e7f-1a2b3c4d5e6f */
  companyId: string;
  /** @example "Acme Support" */
  companyName: string | null;
  /** @example 14 */
  @ApiInteger()
  inputs: number;
  /**
   * The same formula over this company's ratings and reviews only.
   * @example 0.8214
   */
  score: number;
  reopenRate: ReopenRateDto;
}

/**
 * An agent's quality: ratings and reviews of the last `windowDays`, each mapped to 0–1 and
 * averaged with equal weight, smoothed by a prior: score = (sum of values + priorWeight ×
 * platformMean) ÷ (inputs + priorWeight). The reopen rate is shown beside it, not inside it.
 */
export class QualityScoreDto {
  /** @example 9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a */
  agentId: string;
  /** @example 90 */
  @ApiInteger()
  windowDays: number;
  /**
   * How many inputs the prior weighs as.
   * @example 10
   */
  @ApiInteger()
  priorWeight: number;
  /**
   * The mean value of every counted rating and review on the platform in the window (0.5 when
   * there are none). To four decimals; two in a company's view.
   * @example 0.78
   */
  platformMean: number;
  /**
   * Null in a company's view (GET /v1/companies/me/agents/{id}/quality): beside the score and
   * the platform mean, the count and the sum would give away other companies' feedback (its own
   * are in perCompany).
   * @example 14
   */
  @ApiInteger({ nullable: true })
  inputs: number | null;
  /**
   * The sum of the inputs' values. Null in a company's view (see inputs).
   * @example 11.5
   */
  @ApiProperty({ type: 'number', nullable: true, example: 11.5 })
  sum: number | null;
  /**
   * 0–1, to four decimals; two in a company's view (with four, moving its own review and reading
   * again gave other companies' count and sum away).
   * @example 0.8067
   */
  score: number;
  /**
   * top: the best 20 % of agents with at least `tierMinInputs` inputs (from `tierMinCompanies`
   * companies); bottom: the lowest 20 %;
   * everyone else, and anyone with fewer inputs, middle. Agents tied share a tier.
   * @example middle
   */
  @ApiProperty({ enum: QUALITY_TIERS })
  tier: QualityTier;
  /** @example 10 */
  @ApiInteger()
  tierMinInputs: number;
  /**
   * Inputs must come from at least this many companies too before an agent is ranked: one
   * company alone cannot make or break a tier.
   * @example 3
   */
  @ApiInteger()
  tierMinCompanies: number;
  /**
   * Agents with at least tierMinInputs inputs from tierMinCompanies companies, among whom tiers
   * are cut (null in a company's view).
   * @example 42
   */
  @ApiInteger({ nullable: true })
  rankedAgents: number | null;
  /**
   * Ranked agents with a strictly higher score (null when this agent is not ranked, and in a
   * company's view).
   * @example 11
   */
  @ApiInteger({ nullable: true })
  agentsAbove: number | null;
  /** Over every company; null in a company's view (its own is in perCompany). */
  @ApiProperty({ type: ReopenRateDto, nullable: true })
  reopenRate: ReopenRateDto | null;
  /** The same per company the agent was rated or reviewed by. */
  perCompany: CompanyQualityDto[];
  /**
   * The newest 100 ratings and reviews counted, newest first (the agent's
   * GET /v1/agents/me/feedback pages every one).
   */
  counted: QualityInputDto[];
}

import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { cursorInstant, KeyedRow } from '../../database/sql';
import type { DisputeStatus, ReviewTag } from './quality.dto';

/**
 * The inputs of quality scores: every rating, and every review not removed, created since $1,
 * each mapped to 0–1 ((stars − 1) ÷ 4). One definition for the score, its tiers and its list.
 */
export const QUALITY_INPUTS_SQL = `
  SELECT 'rating' AS kind, ticket_id, agent_id, company_id, csat AS stars,
         (csat - 1) / 4.0 AS value, created_at
    FROM ticket_ratings WHERE created_at > $1
  UNION ALL
  SELECT 'review', ticket_id, agent_id, company_id, score, (score - 1) / 4.0, created_at
    FROM ticket_reviews
   WHERE created_at > $1 AND dispute_status IS DISTINCT FROM 'removed'`;

/** The platform's inputs in the window: their count, their sum, and their mean (0.5 if none). */
export const QUALITY_PLATFORM_SQL = `SELECT count(*) AS inputs, coalesce(sum(value), 0) AS total,
         coalesce(avg(value), 0.5) AS mean FROM inputs`;

/**
 * The smoothed score of an agent's inputs (their sum `s`, their count `n`) with the prior of
 * weight `w` at the platform's mean (`p`, QUALITY_PLATFORM_SQL): (s + w·mean) ÷ (n + w), as one
 * division of exact sums at 30 decimals, so that equal scores are equal numbers. With the mean
 * divided first (20 significant digits), two equal scores differed in their last digit (a mean
 * of 1/6: 10 one-star ratings and 13 inputs summing ¼ both score 1/12, as …334 and …333) and
 * ranked apart. Distinct scores differ by far more than 10⁻³⁰.
 */
export const smoothedScoreSql = (s: string, n: string, w: string) =>
  `((${s}) * p.inputs + ${w} * p.total)::numeric(60, 30) / (p.inputs * ((${n}) + ${w}))`;

/** Who is ranked into tiers: enough inputs, from enough companies. */
export interface RankRule {
  minInputs: number;
  minCompanies: number;
}

export interface ScoreRow {
  platform_mean: string;
  inputs: number;
  sum: string;
  score: string;
  ranked: number;
  above: number | null;
  below: number | null;
}

export interface CompanyScoreRow {
  company_id: string;
  inputs: number;
  score: string;
}

export interface InputRow {
  kind: 'rating' | 'review';
  ticket_id: string;
  company_id: string;
  stars: number;
  value: string;
  created_at: Date;
}

export interface FeedbackRow {
  kind: 'rating' | 'review';
  ticket_id: string;
  company_id: string;
  stars: number;
  text: string | null;
  tags: ReviewTag[];
  created_at: Date;
  /** A review's last change (its creation for a rating, which never changes). */
  updated_at: Date;
  review_id: string | null;
  dispute_status: DisputeStatus | null;
  dispute_reason: string | null;
  disputed_at: Date | null;
  decided_at: Date | null;
  decision_note: string | null;
  /** The review's id, or the ticket's for a rating: the page's tie-breaker. */
  key: string;
}

/** Reads over ratings and reviews together: scores, their inputs, an agent's feedback. */
@Injectable()
export class QualityScoresRepository {
  /**
   * The agent's score among all agents': the platform's mean value, the agent's inputs and
   * their sum, the smoothed score, and the agent's place among the ranked agents (at least
   * `rank.minInputs` inputs from `rank.minCompanies` companies): how many rank strictly above
   * and below it, null when not ranked.
   */
  async score(
    em: EntityManager,
    agentId: string,
    since: Date,
    priorWeight: number,
    rank: RankRule,
  ): Promise<ScoreRow> {
    const [row]: ScoreRow[] = await em.query(
      `WITH inputs AS (${QUALITY_INPUTS_SQL}),
       platform AS (${QUALITY_PLATFORM_SQL}),
       per_agent AS (
         SELECT agent_id, count(*)::int AS n, sum(value) AS s,
                count(DISTINCT company_id)::int AS companies
           FROM inputs GROUP BY agent_id
       ),
       scored AS (
         SELECT a.agent_id, a.n, a.s, ${smoothedScoreSql('a.s', 'a.n', '$3::int')} AS score,
                a.n >= $4::int AND a.companies >= $5::int AS ranks
           FROM per_agent a, platform p
       ),
       ranked AS (
         SELECT agent_id,
                (rank() OVER (ORDER BY score DESC) - 1)::int AS above,
                (rank() OVER (ORDER BY score) - 1)::int AS below
           FROM scored WHERE ranks
       )
       SELECT p.mean AS platform_mean,
              coalesce(s.n, 0) AS inputs, coalesce(s.s, 0) AS sum,
              coalesce(s.score, p.mean) AS score,
              (SELECT count(*)::int FROM scored WHERE ranks) AS ranked,
              r.above, r.below
         FROM platform p
         LEFT JOIN scored s ON s.agent_id = $2
         LEFT JOIN ranked r ON r.agent_id = $2`,
      [since, agentId, priorWeight, rank.minInputs, rank.minCompanies],
    );
    return row;
  }

  /** The agent's score per company it was rated or reviewed by, with the same prior. */
  perCompany(
    em: EntityManager,
    agentId: string,
    since: Date,
    priorWeight: number,
  ): Promise<CompanyScoreRow[]> {
    return em.query(
      `WITH inputs AS (${QUALITY_INPUTS_SQL}),
       platform AS (${QUALITY_PLATFORM_SQL})
       SELECT i.company_id, count(*)::int AS inputs,
              ${smoothedScoreSql('sum(i.value)', 'count(*)', '$3::int')} AS score
         FROM inputs i, platform p
        WHERE i.agent_id = $2
        GROUP BY i.company_id, p.inputs, p.total
        ORDER BY count(*) DESC, i.company_id`,
      [since, agentId, priorWeight],
    );
  }

  /** The newest `limit` inputs of the agent's score (of one company, or any). */
  inputsOf(
    em: EntityManager,
    agentId: string,
    since: Date,
    companyId: string | null,
    limit: number,
  ): Promise<InputRow[]> {
    return em.query(
      `SELECT kind, ticket_id, company_id, stars, value, created_at
         FROM (${QUALITY_INPUTS_SQL}) i
        WHERE agent_id = $2 AND ($3::uuid IS NULL OR company_id = $3)
        ORDER BY created_at DESC, ticket_id LIMIT $4`,
      [since, agentId, companyId, limit],
    );
  }

  /**
   * Every rating and review of the agent's work, newest first, one keyset page (`limit` + 1
   * rows), whatever its age or dispute.
   */
  feedback(
    em: EntityManager,
    agentId: string,
    before: [string, string] | null,
    limit: number,
  ): Promise<KeyedRow<FeedbackRow>[]> {
    return em.query(
      `SELECT *, ${cursorInstant('created_at')} FROM (
         SELECT 'rating' AS kind, ticket_id, company_id, csat AS stars, comment AS text,
                '{}'::text[] AS tags, created_at, created_at AS updated_at, NULL::uuid AS review_id,
                NULL AS dispute_status, NULL AS dispute_reason, NULL::timestamptz AS disputed_at,
                NULL::timestamptz AS decided_at, NULL AS decision_note, ticket_id AS key
           FROM ticket_ratings WHERE agent_id = $1
         UNION ALL
         SELECT 'review', ticket_id, company_id, score, note, tags, created_at, updated_at, id,
                dispute_status, dispute_reason, disputed_at, decided_at, decision_note, id
           FROM ticket_reviews WHERE agent_id = $1
       ) f
       WHERE $2::timestamptz IS NULL OR (created_at, key) < ($2::timestamptz, $3::uuid)
       ORDER BY created_at DESC, key DESC LIMIT $4`,
      [agentId, before?.[0] ?? null, before?.[1] ?? null, limit + 1],
    );
  }
}

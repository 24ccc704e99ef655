import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import {
  QUALITY_INPUTS_SQL,
  QUALITY_PLATFORM_SQL,
  RankRule,
  smoothedScoreSql,
} from './quality-scores.repository';

/**
 * `agent_quality`: each scored agent's score and tier, as the push router reads them per offer
 * (a score computed on read ranks every agent). Rewritten whole by `refresh`.
 */
@Injectable()
export class AgentQualityRepository {
  /**
   * Recomputes every agent's score and tier from the inputs since `since` (the same formula
   * and tier rule as QualityScoreService, in SQL), under a transaction-level advisory lock so
   * two processes never rewrite it at once (the second skips: false). Agents with no input
   * left lose their row (the router reads no row as the middle tier).
   */
  async refresh(
    em: EntityManager,
    since: Date,
    priorWeight: number,
    rank: RankRule,
    share: number,
  ): Promise<{ refreshed: boolean; agents: number }> {
    const [lock]: { got: boolean }[] = await em.query(
      `SELECT pg_try_advisory_xact_lock(hashtext('agent_quality.refresh')) AS got`,
    );
    if (!lock.got) return { refreshed: false, agents: 0 };
    const [row]: { agents: number }[] = await em.query(
      `WITH inputs AS (${QUALITY_INPUTS_SQL}),
       platform AS (${QUALITY_PLATFORM_SQL}),
       per_agent AS (
         SELECT agent_id, count(*)::int AS n, sum(value) AS s,
                count(DISTINCT company_id)::int AS companies
           FROM inputs GROUP BY agent_id
       ),
       scored AS (
         SELECT a.agent_id, a.n, ${smoothedScoreSql('a.s', 'a.n', '$2::int')} AS score,
                a.n >= $3::int AND a.companies >= $5::int AS ranks
           FROM per_agent a, platform p
       ),
       ranked AS (
         SELECT agent_id,
                rank() OVER (ORDER BY score DESC) - 1 AS above,
                rank() OVER (ORDER BY score) - 1 AS below,
                floor(count(*) OVER () * $4::numeric) AS cut
           FROM scored WHERE ranks
       ),
       tiers AS (
         SELECT s.agent_id, s.n, s.score,
                CASE WHEN r.above < r.cut AND NOT r.below < r.cut THEN 'top'
                     WHEN r.below < r.cut AND NOT r.above < r.cut THEN 'bottom'
                     ELSE 'middle' END AS tier
           FROM scored s LEFT JOIN ranked r ON r.agent_id = s.agent_id
       ),
       written AS (
         INSERT INTO agent_quality (agent_id, inputs, score, tier, refreshed_at)
         SELECT agent_id, n, score, tier, now() FROM tiers
         ON CONFLICT (agent_id) DO UPDATE
           SET inputs = EXCLUDED.inputs, score = EXCLUDED.score, tier = EXCLUDED.tier,
               refreshed_at = EXCLUDED.refreshed_at
         RETURNING agent_id
       ),
       dropped AS (
         DELETE FROM agent_quality q
          WHERE NOT EXISTS (SELECT 1 FROM written w WHERE w.agent_id = q.agent_id)
       )
       SELECT count(*)::int AS agents FROM written`,
      [since, priorWeight, rank.minInputs, share, rank.minCompanies],
    );
    return { refreshed: true, agents: row.agents };
  }

  /** Each agent's stored tier, for a check (no row: not scored). */
  tiers(em: EntityManager): Promise<{ agent_id: string; tier: string; score: string }[]> {
    return em.query('SELECT agent_id, tier, score FROM agent_quality ORDER BY agent_id');
  }
}

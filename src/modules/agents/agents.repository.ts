import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { changedRows } from '../../database/sql';
import { Agent } from './agent.entity';

/** What the eligibility rule reads from an agent's row. */
export interface AgentEligibilityRow {
  suspended_at: Date | null;
  languages: string[];
  time_zone: string;
}

/** An agent's whole qualifications in one row: skills as parallel arrays, every certifier. */
export interface AgentQualificationSummaryRow {
  user_id: string;
  suspended: boolean;
  languages: string[];
  skills: string[];
  levels: number[];
  certified_by: string[];
}

export interface AgentSeatLockRow {
  suspended: boolean;
}

export interface AgentDisplayNameRow {
  user_id: string;
  display_name: string;
}

/** The agents table (profiles), and the one-row summary of an agent's qualifications. */
@Injectable()
export class AgentsRepository {
  async insert(em: EntityManager, values: QueryDeepPartialEntity<Agent>): Promise<void> {
    await em.insert(Agent, values);
  }

  findOne(em: EntityManager, userId: string): Promise<Agent | null> {
    return em.getRepository(Agent).findOneBy({ userId });
  }

  exists(em: EntityManager, userId: string): Promise<boolean> {
    return em.getRepository(Agent).existsBy({ userId });
  }

  async update(em: EntityManager, userId: string, values: QueryDeepPartialEntity<Agent>) {
    await em.getRepository(Agent).update({ userId }, values);
  }

  async eligibilityRow(
    em: EntityManager,
    agentId: string,
  ): Promise<AgentEligibilityRow | undefined> {
    const [agent]: AgentEligibilityRow[] = await em.query(
      'SELECT suspended_at, languages, time_zone FROM agents WHERE user_id = $1',
      [agentId],
    );
    return agent;
  }

  /** In one statement, each of these agents' row, skills and certifying companies (those that exist). */
  qualificationSummaries(
    em: EntityManager,
    agentIds: string[],
  ): Promise<AgentQualificationSummaryRow[]> {
    return em.query(
      `SELECT a.user_id, a.suspended_at IS NOT NULL AS suspended, a.languages,
              ARRAY(SELECT k.skill FROM agent_skills k WHERE k.agent_id = a.user_id
                     ORDER BY k.skill) AS skills,
              ARRAY(SELECT k.level::int FROM agent_skills k WHERE k.agent_id = a.user_id
                     ORDER BY k.skill) AS levels,
              ARRAY(SELECT c.company_id::text FROM certifications c
                     WHERE c.agent_id = a.user_id) AS certified_by
         FROM agents a WHERE a.user_id = ANY($1::uuid[])`,
      [agentIds],
    );
  }

  /**
   * Locks the agent's row (after the shift rows: the lock order everywhere). NO KEY UPDATE: the agent's claims queue up behind it, but rows that merely reference the
   * agent (cooldowns, claims written by other transactions) can still be inserted, so a release
   * holding a ticket lock never waits on us while we wait on its ticket. Undefined: no agent.
   */
  async lock(em: EntityManager, agentId: string): Promise<AgentSeatLockRow | undefined> {
    const [agent]: AgentSeatLockRow[] = await em.query(
      'SELECT suspended_at IS NOT NULL AS suspended FROM agents WHERE user_id = $1 FOR NO KEY UPDATE',
      [agentId],
    );
    return agent;
  }

  async isSuspended(em: EntityManager, agentId: string): Promise<boolean> {
    const [agent]: AgentSeatLockRow[] = await em.query(
      'SELECT suspended_at IS NOT NULL AS suspended FROM agents WHERE user_id = $1',
      [agentId],
    );
    return agent?.suspended ?? false;
  }

  /** Locks the agents' rows in id order, so two lockers of overlapping sets cannot deadlock. */
  async lockMany(em: EntityManager, agentIds: string[]): Promise<void> {
    await em.query(
      'SELECT 1 FROM agents WHERE user_id = ANY($1) ORDER BY user_id FOR NO KEY UPDATE',
      [agentIds],
    );
  }

  displayNames(em: EntityManager, agentIds: string[]): Promise<AgentDisplayNameRow[]> {
    return em.query('SELECT user_id, display_name FROM agents WHERE user_id = ANY($1)', [agentIds]);
  }

  /**
   * The admin's agent directory: agents whose display name contains `q` (any case) or whose id
   * is among `alsoIds` (the users whose email matched), by name then id, a page after `after`.
   */
  directory(
    em: EntityManager,
    filter: { q: string | null; alsoIds: string[]; suspended: boolean | null },
    after: [string, string] | null,
    limit: number,
  ): Promise<Agent[]> {
    const qb = em.getRepository(Agent).createQueryBuilder('a');
    if (filter.q !== null) {
      // The term is matched literally: its % and _ are escaped.
      const like = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      qb.where('(a.displayName ILIKE :like OR a.userId = ANY(:ids::uuid[]))', {
        like,
        ids: filter.alsoIds,
      });
    }
    if (filter.suspended !== null) {
      qb.andWhere(filter.suspended ? 'a.suspendedAt IS NOT NULL' : 'a.suspendedAt IS NULL');
    }
    if (after) {
      qb.andWhere('(a.displayName, a.userId) > (:name, :id)', { name: after[0], id: after[1] });
    }
    return qb.orderBy('a.displayName').addOrderBy('a.userId').limit(limit).getMany();
  }

  /**
   * Suspends the agent (keeping the first suspension's time, taking the new reason): what it was
   * before, read under the row's lock (a second suspension at once sees the first); null when
   * there is no agent.
   */
  async markSuspended(
    em: EntityManager,
    agentId: string,
    reason: string,
  ): Promise<{ wasSuspended: boolean; reasonBefore: string | null } | null> {
    const rows = await changedRows<{ was_suspended: boolean; reason_before: string | null }>(
      em,
      `UPDATE agents a SET suspended_at = coalesce(old.suspended_at, now()), suspended_reason = $2
         FROM (SELECT user_id, suspended_at, suspended_reason
                 FROM agents WHERE user_id = $1 FOR NO KEY UPDATE) old
        WHERE a.user_id = old.user_id
        RETURNING old.suspended_at IS NOT NULL AS was_suspended,
                  old.suspended_reason AS reason_before`,
      [agentId, reason],
    );
    if (rows.length === 0) return null;
    return { wasSuspended: rows[0].was_suspended, reasonBefore: rows[0].reason_before };
  }

  /**
   * Lifts the suspension: whether the agent was suspended (read under the row's lock, so a
   * second reinstatement at once says no); null when there is no agent.
   */
  async markReinstated(em: EntityManager, agentId: string): Promise<boolean | null> {
    const rows = await changedRows<{ was_suspended: boolean }>(
      em,
      `UPDATE agents a SET suspended_at = NULL, suspended_reason = NULL
         FROM (SELECT user_id, suspended_at FROM agents WHERE user_id = $1 FOR NO KEY UPDATE) old
        WHERE a.user_id = old.user_id
        RETURNING old.suspended_at IS NOT NULL AS was_suspended`,
      [agentId],
    );
    return rows.length > 0 ? rows[0].was_suspended : null;
  }
}

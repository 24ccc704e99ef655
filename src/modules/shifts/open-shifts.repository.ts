import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { cursorInstant, KeyedRow } from '../../database/sql';
import type { AgentQualifications } from './eligibility';

/** The agent's qualifications and its quality score. */
export type ScoredAgent = AgentQualifications & { quality: number };
import { comparableQuality } from './eligibility';
import {
  MAX_SHIFT_MINUTES,
  MIN_CHECK_IN_GRACE_MINUTES,
  ONCE_PER_SHIFT_STATUSES,
} from './shift-rules';
import { OpenShiftRow } from './shift.rows';
import { ONE_SEAT_PER_SHIFT } from './status-sql';

export interface OpenShiftsPage {
  includeFull: boolean;
  /** The keyset cursor: starts_at and id of the last shift of the previous page. */
  after: string[] | null;
  limit: number;
}

/**
 * Why nothing was listed, in counts over the shifts open for claims (with a free seat unless
 * `includeFull`): each shift counts once, in the first of held / not eligible that applies.
 */
export interface OpenShiftCountsRow {
  /** Open for claims (and with a free seat unless includeFull), from every company. */
  open: number;
  /** Of those, the agent already holds a seat on them (they are left out). */
  held: number;
  /** Of those not held, the agent is not eligible for them. */
  not_eligible: number;
  /** Of those, eligible but for a language (only that). */
  language_only: number;
  /** Of those, eligible but for a skill or skill level (only that). */
  skill_only: number;
  /** Of those, eligible but for the company's certification (only that). */
  certification_only: number;
  /** Of those, eligible but for the quality score (the minimum or early access; only that). */
  quality_only: number;
  /** Full shifts the agent could take but for the seat (left out unless includeFull). */
  eligible_full: number;
}

/*
 * The parts both statements share, over `shifts s`, with the same parameters: $1 the agent, $2
 * its languages, $3 and $4 its skills and levels, $5 the companies that certified it, $6 the
 * statuses of a seat held or worked (one seat per agent and shift: ONE_SEAT_PER_SHIFT), $7 the minutes before the end at which claims close, $8 the longest
 * shift, $9 its quality score. The eligibility parts are the SQL twin of ineligibilityReasons(); OPEN_FOR_CLAIMS is
 * that of claimsCloseAt() (seat-window.ts); the starts_at bound only lets the index range start
 * late (no shift lasts longer).
 */
const LIVE = `s.status = 'scheduled' AND s.starts_at > now() - make_interval(mins => $8)`;
const CLAIMS_OPEN = `greatest(s.starts_at, s.ends_at - make_interval(mins => $7)) > now()`;
const OPEN_FOR_CLAIMS = `${LIVE} AND ${CLAIMS_OPEN}`;
/**
 * A started shift whose claims have closed stays listed to an agent in its line until the line
 * closes (lineClosesAt, seat-window.ts: the end minus a late seat's grace), so that it sees its
 * place and may leave it; the starts_at bound of OPEN_FOR_CLAIMS holds for it too.
 */
const IN_OPEN_LINE = `EXISTS (SELECT 1 FROM shift_waitlist l WHERE l.shift_id = s.id AND l.agent_id = $1)
     AND s.ends_at - make_interval(mins => greatest(s.check_in_grace_minutes, ${MIN_CHECK_IN_GRACE_MINUTES})) > now()`;
const LANGUAGES_OK = `s.languages <@ $2::text[]`;
const SKILLS_OK = `NOT EXISTS (
           SELECT 1 FROM shift_required_skills r
             LEFT JOIN unnest($3::text[], $4::int[]) AS k(skill, level) ON k.skill = r.skill
            WHERE r.shift_id = s.id AND (k.level IS NULL OR k.level < r.min_level))`;
const CERTIFIED_OK = `(NOT s.requires_certification OR s.company_id = ANY($5::uuid[]))`;
// $9 is the agent's quality score: a shift's minimum, and its early access while it lasts.
const QUALITY_OK = `(s.min_quality IS NULL OR s.min_quality <= $9::numeric)
     AND (s.early_access_hours IS NULL
          OR s.created_at + make_interval(hours => s.early_access_hours) <= now()
          OR s.early_access_min_quality <= $9::numeric)`;
const HELD = `EXISTS (
           SELECT 1 FROM shift_claims h WHERE h.shift_id = s.id AND h.agent_id = $1
              AND ${ONE_SEAT_PER_SHIFT('h', '= ANY($6)')})`;

/**
 * Shifts an agent may claim now, soonest first (a started one whose claims are still open
 * first): every required skill at its level, every language, certified when required (a
 * suspended agent is turned away before this query). Shifts the agent already holds a seat on
 * are left out.
 */
const OPEN_SHIFTS_SQL = `
  SELECT s.id, s.starts_at, s.company_id, ${cursorInstant('s.starts_at')},
         (SELECT w.position
            FROM (SELECT agent_id, row_number() OVER (ORDER BY joined_at, agent_id)::int AS position
                    FROM shift_waitlist WHERE shift_id = s.id) w
           WHERE w.agent_id = $1) AS waitlist_position
    FROM shifts s
   WHERE ${LIVE} AND (${CLAIMS_OPEN} OR (${IN_OPEN_LINE}))
     AND ($10 OR s.seats_taken < s.seats)
     AND ${LANGUAGES_OK} AND ${SKILLS_OK} AND ${CERTIFIED_OK} AND ${QUALITY_OK}
     AND NOT ${HELD}
     AND ($11::timestamptz IS NULL OR (s.starts_at, s.id) > ($11::timestamptz, $12::uuid))
   ORDER BY s.starts_at, s.id
   LIMIT $13`;

/** Counts explaining an empty first page (OpenShiftCountsRow); $10 is includeFull. */
const OPEN_SHIFT_COUNTS_SQL = `
  SELECT count(*) FILTER (WHERE listed)::int AS open,
         count(*) FILTER (WHERE listed AND held)::int AS held,
         count(*) FILTER (WHERE listed AND NOT held AND NOT (lang AND skill AND cert AND qual))::int
           AS not_eligible,
         count(*) FILTER (WHERE listed AND NOT held AND NOT lang AND skill AND cert AND qual)::int
           AS language_only,
         count(*) FILTER (WHERE listed AND NOT held AND lang AND NOT skill AND cert AND qual)::int
           AS skill_only,
         count(*) FILTER (WHERE listed AND NOT held AND lang AND skill AND NOT cert AND qual)::int
           AS certification_only,
         count(*) FILTER (WHERE listed AND NOT held AND lang AND skill AND cert AND NOT qual)::int
           AS quality_only,
         count(*) FILTER (WHERE no_seat AND NOT held AND lang AND skill AND cert AND qual)::int
           AS eligible_full
    FROM (SELECT $10 OR s.seats_taken < s.seats AS listed, s.seats_taken >= s.seats AS no_seat,
                 ${LANGUAGES_OK} AS lang, ${SKILLS_OK} AS skill, ${CERTIFIED_OK} AS cert,
                 ${QUALITY_OK} AS qual, ${HELD} AS held
            FROM shifts s
           WHERE ${OPEN_FOR_CLAIMS}) q`;

/** The open-shifts listing over shifts, their required skills and claims. */
@Injectable()
export class OpenShiftsRepository {
  pageFor(
    em: EntityManager,
    agentId: string,
    agent: ScoredAgent,
    closeMinutes: number,
    page: OpenShiftsPage,
  ): Promise<KeyedRow<OpenShiftRow>[]> {
    return em.query(OPEN_SHIFTS_SQL, [
      ...shared(agentId, agent, closeMinutes),
      page.includeFull,
      page.after?.[0] ?? null,
      page.after?.[1] ?? null,
      page.limit,
    ]);
  }

  /** Why the agent's first page is empty, in counts (one statement, only then). */
  async countsFor(
    em: EntityManager,
    agentId: string,
    agent: ScoredAgent,
    closeMinutes: number,
    includeFull: boolean,
  ): Promise<OpenShiftCountsRow> {
    const [row]: OpenShiftCountsRow[] = await em.query(OPEN_SHIFT_COUNTS_SQL, [
      ...shared(agentId, agent, closeMinutes),
      includeFull,
    ]);
    return row;
  }

  /**
   * Scheduled shifts starting within `days` whose seats can still be claimed, where the agent
   * holds (or worked) no seat and that the eligibility parts refuse, soonest first: the shifts
   * the agent cannot take (the service asks the eligibility rule why). Refused in SQL before
   * the limit: read first and filtered after, the first `limit` upcoming shifts could all be
   * takeable and hide every one the agent cannot take.
   */
  async upcomingRefusedIds(
    em: EntityManager,
    agentId: string,
    agent: ScoredAgent,
    closeMinutes: number,
    days: number,
    limit: number,
  ): Promise<string[]> {
    const rows: { id: string }[] = await em.query(
      `SELECT s.id FROM shifts s
        WHERE ${OPEN_FOR_CLAIMS} AND s.starts_at < now() + make_interval(hours => 24 * $10)
          AND NOT ${HELD}
          AND NOT (${LANGUAGES_OK} AND ${SKILLS_OK} AND ${CERTIFIED_OK} AND ${QUALITY_OK})
        ORDER BY s.starts_at, s.id
        LIMIT $11`,
      [...shared(agentId, agent, closeMinutes), days, limit],
    );
    return rows.map((r) => r.id);
  }
}

function shared(agentId: string, agent: ScoredAgent, closeMinutes: number): unknown[] {
  return [
    agentId,
    agent.languages,
    [...agent.skills.keys()],
    [...agent.skills.values()],
    [...agent.certifiedBy],
    ONCE_PER_SHIFT_STATUSES,
    closeMinutes,
    MAX_SHIFT_MINUTES,
    comparableQuality(agent.quality),
  ];
}

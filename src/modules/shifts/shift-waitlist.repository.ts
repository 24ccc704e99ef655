import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { WaitlistEntryRow } from './shift.rows';

export interface WaitlistPositionRow {
  position: number;
  joined_at: Date;
}

interface CountRow {
  n: number;
}

interface WaitingAgentRow {
  agent_id: string;
}

/** The shift_waitlist table: agents waiting for a seat, in order of joining. */
@Injectable()
export class ShiftWaitlistRepository {
  async add(em: EntityManager, shiftId: string, agentId: string): Promise<void> {
    await em.query('INSERT INTO shift_waitlist (shift_id, agent_id) VALUES ($1, $2)', [
      shiftId,
      agentId,
    ]);
  }

  /** Takes the agent off the shift's waitlist; returns how many entries went (0 or 1). */
  async remove(em: EntityManager, shiftId: string, agentId: string): Promise<number> {
    const [, removed]: [unknown, number] = await em.query(
      'DELETE FROM shift_waitlist WHERE shift_id = $1 AND agent_id = $2',
      [shiftId, agentId],
    );
    return removed;
  }

  /** Empties the shift's waitlist; who was in it. */
  async clear(em: EntityManager, shiftId: string): Promise<string[]> {
    const [rows]: [{ agent_id: string }[], number] = await em.query(
      'DELETE FROM shift_waitlist WHERE shift_id = $1 RETURNING agent_id',
      [shiftId],
    );
    return rows.map((r) => r.agent_id);
  }

  /** Takes the agent off every waitlist. */
  /** Out of every waitlist of the company's shifts that require its certification. */
  async removeFromCertifiedOnlyOf(
    em: EntityManager,
    agentId: string,
    companyId: string,
  ): Promise<void> {
    await em.query(
      `DELETE FROM shift_waitlist w USING shifts s
        WHERE w.agent_id = $1 AND s.id = w.shift_id AND s.company_id = $2
          AND s.requires_certification`,
      [agentId, companyId],
    );
  }

  async removeEverywhere(em: EntityManager, agentId: string): Promise<void> {
    await em.query('DELETE FROM shift_waitlist WHERE agent_id = $1', [agentId]);
  }

  async count(em: EntityManager, shiftId: string): Promise<number> {
    const [{ n }]: CountRow[] = await em.query(
      'SELECT count(*)::int AS n FROM shift_waitlist WHERE shift_id = $1',
      [shiftId],
    );
    return n;
  }

  /** The waiting agents' ids, first in line first. */
  async waiting(em: EntityManager, shiftId: string): Promise<string[]> {
    const rows: WaitingAgentRow[] = await em.query(
      'SELECT agent_id FROM shift_waitlist WHERE shift_id = $1 ORDER BY joined_at, agent_id',
      [shiftId],
    );
    return rows.map((r) => r.agent_id);
  }

  /** The agent's place in line (1 = next). */
  async position(
    em: EntityManager,
    shiftId: string,
    agentId: string,
  ): Promise<WaitlistPositionRow> {
    const [row]: WaitlistPositionRow[] = await em.query(
      `SELECT position, joined_at FROM (
         SELECT agent_id, joined_at, row_number() OVER (ORDER BY joined_at, agent_id)::int AS position
           FROM shift_waitlist WHERE shift_id = $1) w
        WHERE agent_id = $2`,
      [shiftId, agentId],
    );
    return row;
  }

  /** The waitlist for the company's view, first in line first. */
  entries(em: EntityManager, shiftId: string): Promise<WaitlistEntryRow[]> {
    return em.query(
      `SELECT w.agent_id AS "agentId", w.joined_at AS "joinedAt"
         FROM shift_waitlist w
        WHERE w.shift_id = $1 ORDER BY w.joined_at, w.agent_id`,
      [shiftId],
    );
  }
}

import { Injectable } from '@nestjs/common';
import { EntityManager, IsNull } from 'typeorm';
import { Skill } from './skill.entity';

/** The skills table: the taxonomy. */
@Injectable()
export class SkillsRepository {
  /** By code; retired skills only when asked. */
  list(em: EntityManager, includeRetired: boolean): Promise<Skill[]> {
    return em.getRepository(Skill).find({
      where: includeRetired ? {} : { retiredAt: IsNull() },
      order: { code: 'ASC' },
    });
  }

  async insert(em: EntityManager, code: string, name: string): Promise<void> {
    await em.getRepository(Skill).insert({ code, name });
  }

  findByCode(em: EntityManager, code: string): Promise<Skill | null> {
    return em.getRepository(Skill).findOneBy({ code });
  }

  async setRetired(em: EntityManager, code: string, retired: boolean): Promise<void> {
    await em.getRepository(Skill).update({ code }, { retiredAt: retired ? () => 'now()' : null });
  }

  /**
   * The codes among these whose skills are not retired, share-locked (in code order) until the
   * caller's transaction ends: a retirement under way commits first and the skill is then not
   * among them, or waits for the shift, skill or transfer being written to commit. Read plain,
   * a post that had read the skill as current committed after the retirement had answered.
   */
  async usableAmong(em: EntityManager, codes: string[]): Promise<string[]> {
    const rows: { code: string }[] = await em.query(
      `SELECT code FROM skills WHERE code = ANY($1::text[]) AND retired_at IS NULL
        ORDER BY code FOR SHARE`,
      [codes],
    );
    return rows.map((r) => r.code);
  }
}

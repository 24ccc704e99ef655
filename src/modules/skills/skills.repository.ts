import { Injectable } from '@nestjs/common';
import { EntityManager, In, IsNull } from 'typeorm';
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

  /** The skills among these codes that are not retired. */
  usableAmong(em: EntityManager, codes: string[]): Promise<Skill[]> {
    return em.getRepository(Skill).findBy({ code: In(codes), retiredAt: IsNull() });
  }
}

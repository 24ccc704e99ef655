import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, IsNull } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError, FieldError } from '../../common/errors/domain-error';
import { CreateSkillDto, SkillDto } from './skill.dto';
import { Skill } from './skill.entity';

const toDto = (s: Skill): SkillDto => ({ code: s.code, name: s.name, retiredAt: s.retiredAt });

@Injectable()
export class SkillsService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Everyone signed in (bots too) reads the taxonomy; retired skills only on request. */
  async list(_actor: Actor, includeRetired: boolean): Promise<SkillDto[]> {
    const skills = await this.db.getRepository(Skill).find({
      where: includeRetired ? {} : { retiredAt: IsNull() },
      order: { code: 'ASC' },
    });
    return skills.map(toDto);
  }

  async create(actor: Actor, input: CreateSkillDto): Promise<SkillDto> {
    requireUser(actor, 'admin');
    const repo = this.db.getRepository(Skill);
    await repo.insert({ code: input.code, name: input.name.trim() });
    return toDto((await repo.findOneBy({ code: input.code }))!);
  }

  async setRetired(actor: Actor, code: string, retired: boolean): Promise<SkillDto> {
    requireUser(actor, 'admin');
    const repo = this.db.getRepository(Skill);
    const skill = await repo.findOneBy({ code });
    if (!skill) throw DomainError.notFound('Skill');
    if (retired !== (skill.retiredAt !== null)) {
      await repo.update({ code }, { retiredAt: retired ? () => 'now()' : null });
    }
    return toDto((await repo.findOneBy({ code }))!);
  }

  /**
   * Refuses codes that are unknown or retired, naming each offending field (e.g.
   * `requiredSkills.2.skill`), so a typo is a 400, not a silent mismatch.
   */
  async assertUsable(em: EntityManager, codes: { field: string; code: string }[]): Promise<void> {
    if (codes.length === 0) return;
    const found = await em.getRepository(Skill).findBy({
      code: In([...new Set(codes.map((c) => c.code))]),
      retiredAt: IsNull(),
    });
    const usable = new Set(found.map((s) => s.code));
    const problems: FieldError[] = codes
      .filter((c) => !usable.has(c.code))
      .map((c) => ({ field: c.field, messages: [`unknown or retired skill "${c.code}"`] }));
    if (problems.length > 0) throw DomainError.validation(problems);
  }
}

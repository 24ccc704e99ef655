import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError, FieldError } from '../../common/errors/domain-error';
import { CreateSkillDto, SkillDto } from './skill.dto';
import { toSkillDto } from './skill.mapper';
import { SkillsRepository } from './skills.repository';

@Injectable()
export class SkillsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly skills: SkillsRepository,
  ) {}

  /** Everyone signed in (bots too) reads the taxonomy; retired skills only on request. */
  async list(_actor: Actor, includeRetired: boolean): Promise<SkillDto[]> {
    const skills = await this.skills.list(this.db.manager, includeRetired);
    return skills.map(toSkillDto);
  }

  async create(actor: Actor, input: CreateSkillDto): Promise<SkillDto> {
    requireUser(actor, 'admin');
    // In a transaction, as every keyed write: one whose COMMIT's answer is lost is then told
    // ANSWER_LOST (KeyedCommits), where its retry would otherwise meet its own skill (409).
    const skill = await this.db.transaction(async (em) => {
      await this.skills.insert(em, input.code, input.name.trim());
      return (await this.skills.findByCode(em, input.code))!;
    });
    return toSkillDto(skill);
  }

  async setRetired(actor: Actor, code: string, retired: boolean): Promise<SkillDto> {
    requireUser(actor, 'admin');
    // In a transaction, so that a keyed retry after a lost answer is told ANSWER_LOST, never run
    // again over another admin's change made since (KeyedCommits follows transactions).
    const skill = await this.db.transaction(async (em) => {
      const found = await this.skills.findByCode(em, code);
      if (!found) throw DomainError.notFound('Skill');
      if (retired === (found.retiredAt !== null)) return found;
      await this.skills.setRetired(em, code, retired);
      return (await this.skills.findByCode(em, code))!;
    });
    return toSkillDto(skill);
  }

  /**
   * Refuses codes that are unknown or retired, naming each offending field (e.g.
   * `requiredSkills.2.skill`), so a typo is a 400, not a silent mismatch.
   */
  async assertUsable(em: EntityManager, codes: { field: string; code: string }[]): Promise<void> {
    if (codes.length === 0) return;
    const usable = new Set(
      await this.skills.usableAmong(em, [...new Set(codes.map((c) => c.code))]),
    );
    const problems: FieldError[] = codes
      .filter((c) => !usable.has(c.code))
      .map((c) => ({ field: c.field, messages: [`unknown or retired skill "${c.code}"`] }));
    if (problems.length > 0) throw DomainError.validation(problems);
  }
}

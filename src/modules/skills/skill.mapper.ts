import { SkillDto } from './skill.dto';
import { Skill } from './skill.entity';

export function toSkillDto(s: Skill): SkillDto {
  return { code: s.code, name: s.name, retiredAt: s.retiredAt };
}

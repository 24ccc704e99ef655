import { FieldError } from '../errors/domain-error';

/**
 * A skill listed twice in one list (a shift's or ticket's required skills, an agent's skills):
 * one field error per repeat, naming its path, e.g. `requiredSkills.2.skill`.
 */
export function duplicateSkillErrors(skills: { skill: string }[], field: string): FieldError[] {
  const seen = new Set<string>();
  return skills.flatMap((s, i) => {
    if (!seen.has(s.skill)) {
      seen.add(s.skill);
      return [];
    }
    return [{ field: `${field}.${i}.skill`, messages: [`skill "${s.skill}" is listed twice`] }];
  });
}

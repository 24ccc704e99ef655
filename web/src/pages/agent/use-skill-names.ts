import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { keys } from '../../api/query-keys';

/** Skill code → its name in the taxonomy (the code itself until the taxonomy has loaded). */
export function useSkillNames(): (code: string) => string {
  const { data } = useQuery({
    queryKey: keys.skills,
    queryFn: () => unwrap(api.GET('/v1/skills')),
    staleTime: 10 * 60_000,
  });
  const names = new Map((data ?? []).map((skill) => [skill.code, skill.name]));
  return (code) => names.get(code) ?? code;
}

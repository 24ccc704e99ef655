import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { keys } from '../../api/query-keys';

/**
 * Skill code → its name in the taxonomy, retired skills included (a ticket or seat may still
 * name one); the code itself until the taxonomy has loaded.
 */
export function useSkillNames(): (code: string) => string {
  const { data } = useQuery({
    queryKey: [...keys.skills, 'all'],
    queryFn: () => unwrap(api.GET('/v1/skills', { params: { query: { includeRetired: true } } })),
    staleTime: 10 * 60_000,
  });
  const names = new Map((data ?? []).map((skill) => [skill.code, skill.name]));
  return (code) => names.get(code) ?? code;
}

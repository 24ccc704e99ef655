import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { keys } from '../../api/query-keys';

/**
 * Skill code → its name in the taxonomy, retired skills included (a ticket or seat may still
 * name one); the code itself until the taxonomy has loaded.
 */
export function useSkillNames(): (code: string) => string {
  const { data } = useTaxonomy();
  const names = new Map((data ?? []).map((skill) => [skill.code, skill.name]));
  return (code) => names.get(code) ?? code;
}

/** The whole taxonomy, retired skills included, read once for every page that needs it. */
export function useTaxonomy() {
  return useQuery({
    queryKey: [...keys.skills, 'all'],
    queryFn: () => unwrap(api.GET('/v1/skills', { params: { query: { includeRetired: true } } })),
    staleTime: 10 * 60_000,
  });
}

/**
 * A skill picker's choices: the skills in use, and a retired one only where a row already names
 * it (shown as retired, to be changed), since a Select shows a value outside its choices blank.
 */
export function skillOptions(
  taxonomy: { code: string; name: string; retiredAt: string | null }[] | undefined,
  named: (string | null)[],
): { value: string; label: string }[] {
  return (taxonomy ?? [])
    .filter((s) => s.retiredAt === null || named.includes(s.code))
    .map((s) => ({ value: s.code, label: s.retiredAt ? `${s.name} (retired)` : s.name }));
}

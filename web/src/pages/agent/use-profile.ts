import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { keys } from '../../api/query-keys';
import { browserZone } from '../../ui/times';

export function useProfile() {
  return useQuery({
    queryKey: keys.profile,
    queryFn: () => unwrap(api.GET('/v1/agents/me/profile')),
  });
}

/**
 * The zone every time is shown in: the agent's profile zone (named beside each time), or the
 * browser's until the profile has loaded.
 */
export function useZone(): string {
  return useProfile().data?.timeZone ?? browserZone();
}

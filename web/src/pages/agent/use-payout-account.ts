import { useMutation, useQuery } from '@tanstack/react-query';
import { api, ApiError, unwrap } from '../../api/client';
import { keys } from '../../api/query-keys';

/**
 * The agent's Stripe account, or null before onboarding created one (the API answers 404). With
 * `poll`, asked again every 3 s while an account exists until payouts are enabled (Stripe reports
 * a moment later), or the account is closed (nothing will enable it).
 */
export function usePayoutAccount(poll = false) {
  return useQuery({
    queryKey: keys.payoutAccount,
    queryFn: async () => {
      try {
        return await unwrap(api.GET('/v1/agents/me/payout-account'));
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },
    // Not without an account (null): nothing Stripe says will make one, and a 404 every 3 s
    // for as long as the page stays open helped nobody.
    refetchInterval: ({ state: { data } }) =>
      poll && data && !data.payoutsEnabled && !data.closedReason ? 3_000 : false,
  });
}

/**
 * Creates the Express account once, then gets a fresh hosted onboarding link and leaves for it
 * (links expire in minutes: never stored, always asked for when the button is pressed). Stripe
 * sends the agent back to /agent/payouts?onboarding=return.
 */
export function useStartOnboarding() {
  return useMutation({
    mutationFn: () => unwrap(api.POST('/v1/agents/me/payout-account')),
    onSuccess: (view) => window.location.assign(view.onboardingUrl),
  });
}

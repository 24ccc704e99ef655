import { Alert, Anchor, Button, Group, Text } from '@mantine/core';
import { Link, useSearchParams } from 'react-router';
import { ErrorAlert } from '../../ui/error-alert';
import { Loading } from '../../ui/loading';
import { Page } from '../../ui/page';
import { PayoutStatus } from './payout-status';
import { usePayoutAccount, useStartOnboarding } from './use-payout-account';

/**
 * Back from Stripe. Stripe tells the API (account.updated) a moment after the agent returns, so
 * the status is polled until payouts are enabled. `?onboarding=refresh` means the link expired.
 */
export default function PayoutReturnPage() {
  const [params] = useSearchParams();
  const expired = params.get('onboarding') === 'refresh';
  const account = usePayoutAccount(true);
  const onboarding = useStartOnboarding();

  return (
    <Page title="Stripe onboarding">
      {expired && (
        <Alert color="yellow" title="The Stripe link expired">
          Links to Stripe work for a few minutes only. Get a new one to carry on.
        </Alert>
      )}
      {account.isPending && <Loading label="Checking your payout account" />}
      <ErrorAlert error={account.error} />
      {account.data !== undefined && <PayoutStatus account={account.data} />}
      {account.data && !account.data.payoutsEnabled && !account.data.closedReason && (
        <Text size="sm">This page checks again every few seconds while Stripe reviews.</Text>
      )}
      <ErrorAlert error={onboarding.error} title="Could not open Stripe" />
      <Group>
        {!account.data?.payoutsEnabled &&
          (!account.data?.closedReason || account.data.canLinkNew) && (
            <Button
              loading={onboarding.isPending || onboarding.isSuccess}
              onClick={() => onboarding.mutate()}
            >
              {account.data?.closedReason
                ? 'Link a new Stripe account'
                : expired
                  ? 'Get a new Stripe link'
                  : 'Continue on Stripe'}
            </Button>
          )}
        <Anchor component={Link} to="/agent/profile">
          Back to your profile
        </Anchor>
      </Group>
    </Page>
  );
}

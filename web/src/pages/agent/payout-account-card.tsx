import { Button, Card, Group, Stack, Title } from '@mantine/core';
import { ErrorAlert } from '../../ui/error-alert';
import { Loading } from '../../ui/loading';
import { PayoutStatus } from './payout-status';
import { usePayoutAccount, useStartOnboarding } from './use-payout-account';

/** Profile section: Stripe Connect onboarding through Stripe's hosted pages. */
export function PayoutAccountCard() {
  const account = usePayoutAccount();
  const onboarding = useStartOnboarding();
  const data = account.data;
  const label = !data
    ? 'Set up payouts with Stripe'
    : data.closedReason
      ? 'Link a new Stripe account'
      : data.payoutsEnabled
        ? 'Update payout details on Stripe'
        : 'Continue Stripe onboarding';
  // Closed for a reason a new account would repeat: nothing to press.
  const blocked = !!data?.closedReason && !data.canLinkNew;

  return (
    <Card withBorder component="section" aria-labelledby="payouts-heading">
      <Stack>
        <Title order={2} id="payouts-heading" size="h3">
          Payouts
        </Title>
        {account.isPending ? <Loading label="Loading your payout account" /> : null}
        {account.error ? <ErrorAlert error={account.error} /> : null}
        {data !== undefined && <PayoutStatus account={data} />}
        <ErrorAlert error={onboarding.error} title="Could not open Stripe" />
        {!blocked && (
          <Group>
            <Button
              loading={onboarding.isPending || onboarding.isSuccess}
              onClick={() => onboarding.mutate()}
            >
              {label}
            </Button>
          </Group>
        )}
      </Stack>
    </Card>
  );
}

import { SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ErrorAlert } from '../../ui/error-alert';
import { Loading } from '../../ui/loading';
import { formatMoney } from '../../ui/money';
import { Page } from '../../ui/page';
import { nextCursor, PAGE_SIZE } from '../../ui/paging';
import { EarningsLines } from './earnings-lines';
import { PayoutsList } from './payouts-list';
import { ReliabilityCard } from './reliability-card';

/** Balances (pending in the reopen hold, available, paid), their lines, payouts, reliability. */
export default function EarningsPage() {
  const earnings = useInfiniteQuery({
    queryKey: keys.earnings,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/v1/agents/me/earnings', {
          params: { query: { limit: PAGE_SIZE, cursor: pageParam } },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: nextCursor,
  });
  const balances = earnings.data?.pages[0]?.balances ?? [];

  return (
    <Page title="Earnings">
      {earnings.isPending && <Loading label="Loading your earnings" />}
      <ErrorAlert error={earnings.error} title="Earnings could not be loaded" />
      <Stack component="section" aria-labelledby="balances-heading" gap="sm">
        <Title order={2} id="balances-heading">
          Balances
        </Title>
        {earnings.isSuccess && balances.length === 0 && <Text>No balance yet.</Text>}
        {balances.map((b) => (
          <SimpleGrid key={b.currency} cols={{ base: 1, xs: 3 }}>
            <Balance
              label="Pending"
              hint="held while the company may still reopen the ticket"
              amount={formatMoney(b.pending, b.currency)}
            />
            <Balance
              label="Available"
              hint="paid in the next payout run"
              amount={formatMoney(b.available, b.currency)}
            />
            <Balance
              label="Paid"
              hint="sent to your Stripe account"
              amount={formatMoney(b.paid, b.currency)}
            />
          </SimpleGrid>
        ))}
      </Stack>
      <EarningsLines query={earnings} />
      <PayoutsList />
      <ReliabilityCard />
    </Page>
  );
}

function Balance({ label, hint, amount }: { label: string; hint: string; amount: string }) {
  return (
    <Stack gap={0}>
      <Text size="sm" fw={600}>
        {label}
      </Text>
      <Text size="xl" fw={700}>
        {amount}
      </Text>
      <Text size="xs">{hint}</Text>
    </Stack>
  );
}

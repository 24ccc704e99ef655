import { Stack, Table, Text, Title } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ErrorAlert } from '../../ui/error-alert';
import { LoadMore } from '../../ui/load-more';
import { ScrollTable } from '../../ui/scroll-table';
import { formatMoney } from '../../ui/money';
import { nextCursor, PAGE_SIZE } from '../../ui/paging';
import { formatInstant } from '../../ui/times';
import { useZone } from './use-profile';

/** What was paid to the agent's Stripe account, newest first. */
export function PayoutsList() {
  const zone = useZone();
  const payouts = useInfiniteQuery({
    queryKey: keys.payouts,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/v1/agents/me/payouts', {
          params: { query: { limit: PAGE_SIZE, cursor: pageParam } },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: nextCursor,
  });
  const items = payouts.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <Stack component="section" aria-labelledby="payouts-heading" gap="sm">
      <Title order={2} id="payouts-heading">
        Payouts
      </Title>
      <ErrorAlert error={payouts.error} title="Payouts could not be loaded" />
      {payouts.isSuccess && items.length === 0 && <Text>Nothing has been paid out yet.</Text>}
      {items.length > 0 && (
        <ScrollTable label="Table of payouts">
          <Table striped miw={480}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Paid</Table.Th>
                <Table.Th>Amount</Table.Th>
                <Table.Th>Stripe transfer</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((payout) => (
                <Table.Tr key={payout.lineId}>
                  <Table.Td>{formatInstant(payout.paidAt, zone)}</Table.Td>
                  <Table.Td>
                    {formatMoney(payout.amountMinor, payout.currency)}
                    {payout.reversedMinor > 0 &&
                      ` (${formatMoney(payout.reversedMinor, payout.currency)} reversed)`}
                  </Table.Td>
                  <Table.Td>{payout.stripeTransferId}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      )}
      <LoadMore query={payouts} what="payouts" />
    </Stack>
  );
}

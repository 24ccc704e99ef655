import { Anchor, Select, Stack, Table, Text, Title } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api, unwrap, type Schemas } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ReadErrorAlert } from '../../ui/error-alert';
import { LoadMore } from '../../ui/load-more';
import { Loading } from '../../ui/loading';
import { formatMoney } from '../../ui/money';
import { Page } from '../../ui/page';
import { nextCursor, PAGE_SIZE } from '../../ui/paging';
import { ScrollTable } from '../../ui/scroll-table';
import { browserZone, formatInstant } from '../../ui/times';
import { DraftRunForm } from './draft-run-form';
import { RunStatus, words } from './run-status';

type RunStatusCode = NonNullable<Schemas['PayoutRunDto']['status']>;
const STATUSES: RunStatusCode[] = [
  'draft',
  'approved',
  'executing',
  'completed',
  'completed_with_failures',
  'cancelled',
];

/** Finance's payout runs: draft one, and every run, newest first, filtered by status. */
export default function RunsPage() {
  const [status, setStatus] = useState<string | null>(null);
  const runs = useInfiniteQuery({
    queryKey: [...keys.payoutRuns, 'list', status],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/v1/payout-runs', {
          params: {
            query: {
              limit: PAGE_SIZE,
              cursor: pageParam,
              ...(status ? { status: status as RunStatusCode } : {}),
            },
          },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: nextCursor,
  });
  const items = runs.data?.pages.flatMap((page) => page.items) ?? [];
  const zone = browserZone();
  return (
    <Page title="Payout runs">
      <DraftRunForm />
      <Stack component="section" aria-labelledby="runs-heading" gap="sm">
        <Title order={2} id="runs-heading" size="h3">
          Runs
        </Title>
        <Select
          label="Status"
          placeholder="Any status"
          data={STATUSES.map((s) => ({ value: s, label: words(s) }))}
          value={status}
          onChange={setStatus}
          clearable
          w={260}
        />
        {runs.isPending && <Loading label="Loading the runs" />}
        <ReadErrorAlert query={runs} title="The runs could not be loaded" />
        {runs.isSuccess && items.length === 0 && (
          // Filtered, "No run yet" read as if no run had ever been drafted.
          <Text size="sm">{status ? 'No run with this status.' : 'No run yet.'}</Text>
        )}
        {items.length > 0 && (
          <ScrollTable label="Payout runs">
            <Table miw={640}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Drafted</Table.Th>
                  <Table.Th>Cutoff</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>Payable</Table.Th>
                  <Table.Th>Paid</Table.Th>
                  <Table.Th>Held</Table.Th>
                  <Table.Th>Failed</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((run) => (
                  <Table.Tr key={run.id}>
                    <Table.Td>
                      <Anchor component={Link} to={`/finance/runs/${run.id}`}>
                        {formatInstant(run.createdAt, zone)}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>{formatInstant(run.cutoff, zone)}</Table.Td>
                    <Table.Td>
                      <RunStatus status={run.status} />
                    </Table.Td>
                    <Table.Td>
                      {formatMoney(run.totals.payableMinor, run.currency)} (
                      {run.totals.payableLines})
                    </Table.Td>
                    <Table.Td>
                      {formatMoney(run.totals.paidMinor, run.currency)} ({run.totals.paidLines})
                      {run.totals.reversedMinor > 0 &&
                        `, ${formatMoney(run.totals.reversedMinor, run.currency)} reversed since`}
                    </Table.Td>
                    <Table.Td>{run.totals.heldLines}</Table.Td>
                    <Table.Td>{run.totals.failedLines}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </ScrollTable>
        )}
        <LoadMore query={runs} what="runs" />
      </Stack>
    </Page>
  );
}

import { Badge, Button, Group, Select, Stack, Table, Text, Title } from '@mantine/core';
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { keys } from '../../api/query-keys';
import { useSession } from '../../api/session-context';
import { ReadErrorAlert, RowErrorAlerts } from '../../ui/error-alert';
import { LoadMore } from '../../ui/load-more';
import { Loading } from '../../ui/loading';
import { formatMoney } from '../../ui/money';
import { Page } from '../../ui/page';
import { nextCursor, PAGE_SIZE } from '../../ui/paging';
import { ScrollTable } from '../../ui/scroll-table';
import { browserZone, formatInstant } from '../../ui/times';
import { useRowActions } from '../../ui/use-row-actions';
import { AdjustmentForm } from './adjustment-form';
import { refresh } from '../../api/refresh';
import { keepFocusNear } from '../../ui/use-dialog';
import { useNow } from '../../ui/use-now';

type Adjustment = Schemas['AdjustmentDto'];
type Status = NonNullable<Adjustment['status']>;
const STATUSES: { value: Status; label: string }[] = [
  { value: 'pending', label: 'Waiting for approval' },
  { value: 'posted', label: 'Posted' },
  { value: 'rejected', label: 'Rejected' },
  { value: 'cancelled', label: 'Withdrawn' },
  { value: 'expired', label: 'Expired' },
];
const COLORS: Record<string, string> = { pending: 'yellow', posted: 'green' };

/**
 * Adjustments of agents' balances: make one, and the list (the approval queue first): approve
 * or reject another user's pending one, withdraw one's own.
 */
export default function AdjustmentsPage() {
  const [status, setStatus] = useState<string | null>('pending');
  const list = useInfiniteQuery({
    queryKey: [...keys.adjustments, status],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/v1/ledger/adjustments', {
          params: {
            query: {
              limit: PAGE_SIZE,
              cursor: pageParam,
              ...(status ? { status: status as Status } : {}),
            },
          },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: nextCursor,
  });
  const items = list.data?.pages.flatMap((page) => page.items) ?? [];
  // The decisions live here, not in the table: a refused approval of the last row in view
  // (withdrawn by its maker, or expired, meanwhile) empties the list, and its failure must
  // outlive the table, or the row's going would read as the approval done.
  const decide = useDecisions();
  const { user } = useSession();
  return (
    <Page title="Adjustments">
      <Stack component="section" aria-labelledby="new-heading" gap="sm">
        <Title order={2} id="new-heading" size="h3">
          New adjustment
        </Title>
        <AdjustmentForm />
      </Stack>
      <Stack component="section" aria-labelledby="list-heading" gap="sm">
        <Title order={2} id="list-heading" size="h3">
          Adjustments
        </Title>
        <Select
          label="Status"
          placeholder="Any status"
          data={STATUSES}
          value={status}
          onChange={setStatus}
          clearable
          w={260}
        />
        {list.isPending && <Loading label="Loading the adjustments" />}
        <ReadErrorAlert query={list} title="The adjustments could not be loaded" />
        {list.isSuccess && items.length === 0 && <Text size="sm">No adjustment.</Text>}
        <RowErrorAlerts actions={decide} title={(v) => `Not done (${v.action}): ${v.reference}`} />
        {items.length > 0 && <AdjustmentsTable items={items} decide={decide} userId={user?.id} />}
        <LoadMore query={list} what="adjustments" />
      </Stack>
    </Page>
  );
}

/** Approve, reject or withdraw a pending adjustment, one row at a time each. */
function useDecisions() {
  const queryClient = useQueryClient();
  return useRowActions({
    rowOf: (v: Decision) => v.id,
    mutationFn: ({ id, action }: Decision, key: string) => {
      const params = { params: { path: { id }, header: { 'Idempotency-Key': key } } };
      if (action === 'cancel')
        return unwrap(api.POST('/v1/ledger/adjustments/{id}/cancel', params));
      const path =
        action === 'approve'
          ? '/v1/ledger/adjustments/{id}/approve'
          : '/v1/ledger/adjustments/{id}/reject';
      return unwrap(api.POST(path, { ...params, body: {} }));
    },
    // The row's buttons wait for the list's re-read (useRowActions).
    onSettled: () => {
      void refresh(queryClient, keys.ledger);
      return refresh(queryClient, keys.adjustments);
    },
  });
}

interface TableProps {
  items: Adjustment[];
  decide: ReturnType<typeof useDecisions>;
  userId: string | undefined;
}

interface Decision {
  id: string;
  action: 'approve' | 'reject' | 'cancel';
  /** Named in its failure, which may outlive the row in this view. */
  reference: string;
}

function AdjustmentsTable({ items, decide, userId }: TableProps) {
  const zone = browserZone();
  const busy = (id: string, action: string) =>
    decide.busy((v) => v.id === id && v.action === action);
  // One decision at a time on a row: the other button waits, rather than send a second
  // decision the API can only refuse.
  const deciding = (id: string) => decide.busy((v) => v.id === id);
  // A pending adjustment past its expiresAt (on the API's clock) has lapsed: the API refuses to
  // decide it, and it shows as expired before its expiry job, which may run late, says so.
  const now = useNow(15_000);
  const statusOf = (a: Adjustment): Status =>
    a.status === 'pending' && a.expiresAt !== null && Date.parse(a.expiresAt) <= now
      ? 'expired'
      : a.status;
  return (
    <ScrollTable label="Table of adjustments">
      <Table miw={640}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Made</Table.Th>
            <Table.Th>Agent</Table.Th>
            <Table.Th>Amount</Table.Th>
            <Table.Th>Reason</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Action</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {items.map((a) => {
            const mine = a.createdBy === userId;
            const status = statusOf(a);
            const who = a.agentDisplayName ?? a.agentId;
            return (
              <Table.Tr key={a.id}>
                <Table.Td>
                  <Text size="sm">{formatInstant(a.createdAt, zone)}</Text>
                  <Text size="xs" c="dimmed">
                    {a.reference}
                  </Text>
                </Table.Td>
                <Table.Td>{who}</Table.Td>
                <Table.Td>{formatMoney(a.amountMinor, a.currency)}</Table.Td>
                <Table.Td>{a.reason}</Table.Td>
                <Table.Td>
                  <Badge variant="light" color={COLORS[status] ?? 'gray'}>
                    {STATUSES.find((s) => s.value === status)?.label ?? status}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  {status === 'pending' && !mine && (
                    <Group gap="xs" wrap="nowrap">
                      <Button
                        size="xs"
                        loading={busy(a.id, 'approve')}
                        disabled={deciding(a.id)}
                        onClick={(event) => {
                          // The row leaves this list once decided: focus stays in the table.
                          keepFocusNear(event.currentTarget);
                          decide.mutate({ id: a.id, action: 'approve', reference: a.reference });
                        }}
                        aria-label={`Approve ${a.reference}`}
                      >
                        Approve
                      </Button>
                      <Button
                        size="xs"
                        variant="default"
                        loading={busy(a.id, 'reject')}
                        disabled={deciding(a.id)}
                        onClick={(event) => {
                          // The row leaves this list once decided: focus stays in the table.
                          keepFocusNear(event.currentTarget);
                          decide.mutate({ id: a.id, action: 'reject', reference: a.reference });
                        }}
                        aria-label={`Reject ${a.reference}`}
                      >
                        Reject
                      </Button>
                    </Group>
                  )}
                  {status === 'pending' && mine && (
                    <Button
                      size="xs"
                      variant="default"
                      loading={busy(a.id, 'cancel')}
                      onClick={(event) => {
                        // The row leaves this list once decided: focus stays in the table.
                        keepFocusNear(event.currentTarget);
                        decide.mutate({ id: a.id, action: 'cancel', reference: a.reference });
                      }}
                      aria-label={`Withdraw ${a.reference}`}
                    >
                      Withdraw
                    </Button>
                  )}
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </ScrollTable>
  );
}

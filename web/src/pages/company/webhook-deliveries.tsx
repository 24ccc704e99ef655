import { Badge, Button, Card, SegmentedControl, Stack, Table, Text, Title } from '@mantine/core';
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ReadErrorAlert, RowErrorAlerts } from '../../ui/error-alert';
import { LoadMore } from '../../ui/load-more';
import { Loading } from '../../ui/loading';
import { nextCursor, PAGE_SIZE } from '../../ui/paging';
import { ScrollTable } from '../../ui/scroll-table';
import { browserZone, formatInstant } from '../../ui/times';
import { useRowActions } from '../../ui/use-row-actions';
import { keepFocusNear } from '../../ui/use-dialog';
import { refresh } from '../../api/refresh';
import { serverNow } from '../../api/server-clock';

type Delivery = Schemas['WebhookDeliveryDto'];
type Filter = 'all' | Delivery['status'];

const STATUS_COLORS: Record<Delivery['status'], string> = {
  pending: 'yellow',
  delivered: 'green',
  failed: 'red',
};

/** A pending delivery whose retry is this late was lost (the API then lets it be sent again). */
const STALLED_AFTER_MS = 3_600_000;
const stalled = (d: { status: string; nextAttemptAt: string | null }) =>
  d.status === 'pending' &&
  d.nextAttemptAt !== null &&
  Date.parse(d.nextAttemptAt) < serverNow() - STALLED_AFTER_MS;

/**
 * The webhook's delivery log, newest first, filtered by status: attempts, the receiver's last
 * answer, the next retry while pending; a failed (or delivered) one can be sent again, and a
 * pending one whose retry was lost (over an hour late).
 */
export function WebhookDeliveries() {
  const queryClient = useQueryClient();
  const [filter, setFilter] = useState<Filter>('all');
  const deliveries = useInfiniteQuery({
    queryKey: [...keys.deliveries, filter],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/v1/companies/me/webhook-deliveries', {
          params: {
            query: {
              limit: PAGE_SIZE,
              cursor: pageParam,
              status: filter === 'all' ? undefined : [filter],
            },
          },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: nextCursor,
    // Pending deliveries move on their own (retries): look again while the page is open.
    refetchInterval: 10_000,
  });
  // Per delivery: a second redeliver before the first answered hid the first's failure.
  const redeliver = useRowActions({
    rowOf: (v: { id: string; eventType: string }) => v.id,
    mutationFn: ({ id }: { id: string; eventType: string }, key: string) =>
      unwrap(
        api.POST('/v1/companies/me/webhook-deliveries/{id}/redeliver', {
          params: { path: { id }, header: { 'Idempotency-Key': key } },
        }),
      ),
    onSettled: () => refresh(queryClient, keys.deliveries),
  });
  const items = deliveries.data?.pages.flatMap((page) => page.items) ?? [];
  const zone = browserZone();

  return (
    <Card withBorder component="section" aria-labelledby="deliveries-heading">
      <Stack>
        <Title order={2} id="deliveries-heading" size="h3">
          Deliveries
        </Title>
        <SegmentedControl
          aria-label="Show deliveries"
          value={filter}
          onChange={(value) => setFilter(value as Filter)}
          data={[
            { value: 'all', label: 'All' },
            { value: 'pending', label: 'Pending' },
            { value: 'delivered', label: 'Delivered' },
            { value: 'failed', label: 'Failed' },
          ]}
          w="fit-content"
        />
        {deliveries.isPending && <Loading label="Loading deliveries" />}
        <ReadErrorAlert query={deliveries} title="Deliveries could not be loaded" />
        <RowErrorAlerts
          actions={redeliver}
          title={(v) => `Not sent again: ${v.eventType} ${v.id.slice(0, 8)}`}
        />
        {deliveries.isSuccess && items.length === 0 && <Text size="sm">No deliveries.</Text>}
        {items.length > 0 && (
          <ScrollTable label="Webhook deliveries">
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Event</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>Attempts</Table.Th>
                  <Table.Th>Receiver&apos;s answer</Table.Th>
                  <Table.Th>Next attempt</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th>Again</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((d) => (
                  <Table.Tr key={d.id}>
                    <Table.Td>{d.eventType}</Table.Td>
                    <Table.Td>
                      <Badge variant="light" color={STATUS_COLORS[d.status]}>
                        {d.status}
                      </Badge>
                    </Table.Td>
                    <Table.Td>{d.attempts}</Table.Td>
                    <Table.Td>
                      {d.lastStatusCode ?? '—'}
                      {d.lastError ? ` · ${d.lastError}` : ''}
                    </Table.Td>
                    <Table.Td>
                      {d.nextAttemptAt ? formatInstant(d.nextAttemptAt, zone) : '—'}
                      {stalled(d) && (
                        <Text size="xs" c="red">
                          Over an hour late: its retry was lost. Send it again.
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>{formatInstant(d.createdAt, zone)}</Table.Td>
                    <Table.Td>
                      {(d.status !== 'pending' || stalled(d)) && (
                        <Button
                          size="xs"
                          variant="default"
                          loading={redeliver.busy((v) => v.id === d.id)}
                          onClick={(event) => {
                            // The row turns pending, which has no Redeliver: its button goes.
                            keepFocusNear(event.currentTarget);
                            redeliver.mutate({ id: d.id, eventType: d.eventType });
                          }}
                          aria-label={`Redeliver ${d.eventType} ${d.id.slice(0, 8)}`}
                        >
                          Redeliver
                        </Button>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </ScrollTable>
        )}
        <LoadMore query={deliveries} what="deliveries" />
      </Stack>
    </Card>
  );
}

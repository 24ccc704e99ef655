import { Anchor, Badge, Stack, Table, Text, Title } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, unwrap } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ReadErrorAlert } from '../../ui/error-alert';
import { LoadMore } from '../../ui/load-more';
import { Loading } from '../../ui/loading';
import { nextCursor, PAGE_SIZE } from '../../ui/paging';
import { ScrollTable } from '../../ui/scroll-table';
import { browserZone, formatInstant } from '../../ui/times';
import { useNow } from '../../ui/use-now';
import { SlaBadge } from './sla-badge';

interface Props {
  status: 'open' | 'claimed';
  title: string;
  empty: string;
}

/**
 * One status of the company's tickets, paged; ticket events refresh it. The waiting ones come
 * nearest their SLA deadline first (breached at the top), so that a page shows those about to
 * breach; the handled ones newest first.
 */
export function QueueTable({ status, title, empty }: Props) {
  const now = useNow();
  const zone = browserZone();
  const tickets = useInfiniteQuery({
    queryKey: [...keys.companyTickets, 'list', status],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/v1/tickets', {
          params: {
            query: {
              status,
              sort: status === 'open' ? 'sla_deadline' : 'newest',
              limit: PAGE_SIZE,
              cursor: pageParam,
            },
          },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: nextCursor,
  });
  const items = tickets.data?.pages.flatMap((page) => page.items) ?? [];
  const headingId = `queue-${status}`;

  return (
    <Stack component="section" aria-labelledby={headingId} gap="sm">
      <Title order={2} id={headingId} size="h3">
        {title}{' '}
        {tickets.isSuccess && (
          // "20+": the count of the pages read, and more to load.
          <Badge variant="light">
            {items.length}
            {tickets.hasNextPage && '+'}
          </Badge>
        )}
      </Title>
      {tickets.isPending && <Loading label={`Loading ${title.toLowerCase()}`} />}
      <ReadErrorAlert query={tickets} title="The queue could not be loaded" />
      {tickets.isSuccess && items.length === 0 && <Text size="sm">{empty}</Text>}
      {items.length > 0 && (
        <ScrollTable label={`Table: ${title}`}>
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Ticket</Table.Th>
                <Table.Th>Priority</Table.Th>
                <Table.Th>SLA</Table.Th>
                {status === 'claimed' && <Table.Th>Agent</Table.Th>}
                <Table.Th>Escalated</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((t) => (
                <Table.Tr key={t.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/company/tickets/${t.id}`}>
                      {t.subject}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{t.effectivePriority}</Table.Td>
                  <Table.Td>
                    <SlaBadge ticket={t} now={now} />
                  </Table.Td>
                  {status === 'claimed' && <Table.Td>{t.claimedByName ?? '—'}</Table.Td>}
                  <Table.Td>{formatInstant(t.createdAt, zone)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      )}
      <LoadMore
        query={tickets}
        what={status === 'open' ? 'waiting tickets' : 'tickets with an agent'}
      />
    </Stack>
  );
}

import { Button, Group, SegmentedControl, Stack, Table, Text } from '@mantine/core';
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ErrorAlert } from '../../ui/error-alert';
import { LoadMore } from '../../ui/load-more';
import { Loading } from '../../ui/loading';
import { Page } from '../../ui/page';
import { nextCursor, PAGE_SIZE } from '../../ui/paging';
import { ReasonDialog } from '../../ui/reason-dialog';
import { ScrollTable } from '../../ui/scroll-table';
import { browserZone, formatInstant } from '../../ui/times';
import { useDialog } from '../../ui/use-dialog';
import { refresh } from '../../api/refresh';

type Status = 'pending' | 'upheld' | 'removed';
type Disputed = Schemas['DisputedReviewDto'];
type Deciding = { review: Disputed; decision: 'uphold' | 'remove' };

/**
 * Reviews agents disputed: the review, the agent's reason; uphold it (it keeps counting) or
 * remove it (it stops counting), with a note both sides read. Decided ones by outcome.
 */
export default function ReviewDisputesPage() {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<Status>('pending');
  const decide = useDialog<Deciding>(); // focus back on the row's button when it closes
  const deciding = decide.value;
  const disputes = useInfiniteQuery({
    queryKey: [...keys.disputedReviews, status],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/v1/reviews/disputed', {
          params: { query: { status, limit: PAGE_SIZE, cursor: pageParam } },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: nextCursor,
  });
  const items = disputes.data?.pages.flatMap((p) => p.items) ?? [];
  const zone = browserZone();
  return (
    <Page title="Review disputes">
      <Stack gap="xs">
        <SegmentedControl
          aria-label="Show disputes"
          value={status}
          onChange={(v) => setStatus(v as Status)}
          data={[
            { value: 'pending', label: 'Waiting' },
            { value: 'upheld', label: 'Upheld' },
            { value: 'removed', label: 'Removed' },
          ]}
          w="fit-content"
        />
        {disputes.isPending && <Loading label="Loading the disputes" />}
        <ErrorAlert error={disputes.error} title="The disputes could not be loaded" />
        {disputes.isSuccess && items.length === 0 && <Text size="sm">No disputes here.</Text>}
        {items.length > 0 && (
          <ScrollTable label="Table of disputed reviews">
            <Table miw={980}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Disputed</Table.Th>
                  <Table.Th>Agent</Table.Th>
                  <Table.Th>Company</Table.Th>
                  <Table.Th>Resolution</Table.Th>
                  <Table.Th>Review</Table.Th>
                  <Table.Th>Agent&apos;s reason</Table.Th>
                  <Table.Th>Decision</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((r) => (
                  <Table.Tr key={r.id}>
                    <Table.Td>{formatInstant(r.dispute!.disputedAt, zone)}</Table.Td>
                    <Table.Td>{r.agentName}</Table.Td>
                    <Table.Td>{r.companyName ?? r.companyId}</Table.Td>
                    <Table.Td>
                      <Text size="sm" fw={600} style={{ overflowWrap: 'anywhere' }}>
                        {r.resolution.subject}
                      </Text>
                      <Text size="xs">
                        Resolved {formatInstant(r.resolution.resolvedAt, zone)}
                        {r.resolution.summary ? `: ${r.resolution.summary}` : ''}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      {r.score} of 5{r.tags.length > 0 ? ` (${r.tags.join(', ')})` : ''}
                      {r.note && <Text size="xs">{r.note}</Text>}
                    </Table.Td>
                    <Table.Td>{r.dispute!.reason}</Table.Td>
                    <Table.Td>
                      {r.dispute!.status === 'pending' ? (
                        <Group gap="xs" wrap="nowrap">
                          <Button
                            size="xs"
                            variant="default"
                            aria-label={`Uphold the review of ${r.agentName} disputed ${formatInstant(r.dispute!.disputedAt, zone)}`}
                            onClick={(e) =>
                              decide.open({ review: r, decision: 'uphold' }, e.currentTarget)
                            }
                          >
                            Uphold
                          </Button>
                          <Button
                            size="xs"
                            variant="default"
                            aria-label={`Remove the review of ${r.agentName} disputed ${formatInstant(r.dispute!.disputedAt, zone)}`}
                            onClick={(e) =>
                              decide.open({ review: r, decision: 'remove' }, e.currentTarget)
                            }
                          >
                            Remove
                          </Button>
                        </Group>
                      ) : (
                        <Text size="xs">
                          {r.dispute!.status}: {r.dispute!.decisionNote}
                        </Text>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </ScrollTable>
        )}
        <LoadMore query={disputes} what="disputes" />
      </Stack>
      {deciding && (
        <ReasonDialog
          // Named: the dialog hides the row, and a decision cannot be taken back.
          title={`${deciding.decision === 'uphold' ? 'Uphold' : 'Remove'} the review of ${deciding.review.agentName}`}
          field="note"
          reasonLabel="Note"
          reasonDescription="The agent and the company read it"
          confirmLabel={deciding.decision === 'uphold' ? 'Uphold' : 'Remove'}
          keepLabel="Not now"
          errorTitle="Not decided"
          confirm={(note, key) =>
            unwrap(
              api.POST('/v1/reviews/{id}/decision', {
                params: { path: { id: deciding.review.id }, header: { 'Idempotency-Key': key } },
                body: { decision: deciding.decision, note },
              }),
            )
          }
          onDone={() => void refresh(queryClient, keys.disputedReviews)}
          onClose={decide.close}
        >
          <Text size="sm">
            {deciding.review.score} of 5 from {deciding.review.companyName ?? 'the company'},
            disputed {formatInstant(deciding.review.dispute!.disputedAt, zone)}.
          </Text>
          <Text size="sm">
            {deciding.decision === 'uphold'
              ? 'The review stands and keeps counting in the agent’s score.'
              : 'The review stops counting in the agent’s score at once; both sides still see it.'}
          </Text>
        </ReasonDialog>
      )}
    </Page>
  );
}

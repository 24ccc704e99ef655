import { Button, Select, Stack, Table, Text } from '@mantine/core';
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { keys } from '../../api/query-keys';
import { refresh } from '../../api/refresh';
import { ErrorAlert, RefreshFailedAlert } from '../../ui/error-alert';
import { LoadMore } from '../../ui/load-more';
import { Loading } from '../../ui/loading';
import { formatMoney } from '../../ui/money';
import { nextCursor } from '../../ui/paging';
import { ReasonDialog } from '../../ui/reason-dialog';
import { ScrollTable } from '../../ui/scroll-table';
import { useDialog } from '../../ui/use-dialog';
import { browserZone, formatInstant } from '../../ui/times';
import { HELD_REASONS, LineStatus, words } from './run-status';

type Run = Schemas['PayoutRunDetailDto'];
type Line = Schemas['PayoutLineDto'];
type LineStatusName = NonNullable<Line['status']>;

const SHOWN = 50;
const STATUSES = ['held', 'pending', 'processing', 'paid', 'failed', 'abandoned'];

/**
 * The run's lines, largest first, 50 at a time from the API (a run can have 50,000: the page
 * reads only what it shows), filtered by status, each with the agent's name and email, why it
 * is held or what Stripe said; a failed line can be abandoned with a reason.
 */
export function RunLines({ run }: { run: Run }) {
  const [status, setStatus] = useState<string | null>(null);
  const abandoning = useDialog<Line>();
  useLinesFollowRun(run);
  const query = useInfiniteQuery({
    queryKey: [...keys.payoutRun(run.id), 'lines', status],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/v1/payout-runs/{id}/lines', {
          params: {
            path: { id: run.id },
            query: {
              limit: SHOWN,
              cursor: pageParam,
              ...(status ? { status: status as LineStatusName } : {}),
            },
          },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: nextCursor,
  });
  const lines = query.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <Stack gap="sm">
      <Select
        label="Line status"
        placeholder="Any status"
        data={STATUSES.map((s) => ({ value: s, label: words(s) }))}
        value={status}
        onChange={setStatus}
        clearable
        w={220}
      />
      {query.isPending && <Loading label="Loading the lines" />}
      {query.isError && !query.data && (
        <ErrorAlert error={query.error} title="The lines could not be loaded" />
      )}
      {query.data && <RefreshFailedAlert error={query.isRefetchError ? query.error : null} />}
      {query.isSuccess && lines.length === 0 && (
        <Text size="sm">No line{status ? ` is ${words(status)}` : ''}.</Text>
      )}
      {lines.length > 0 && (
        <ScrollTable label="Payout lines">
          <Table miw={640}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Agent</Table.Th>
                <Table.Th>Amount</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Why</Table.Th>
                <Table.Th>Attempts</Table.Th>
                <Table.Th>Action</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {lines.map((line) => (
                <Table.Tr key={line.id}>
                  <Table.Td>
                    <Text size="sm">{line.agentDisplayName ?? 'Unknown agent'}</Text>
                    <Text size="xs" c="dimmed">
                      {line.agentEmail ?? line.agentId}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    {formatMoney(line.transferMinor ?? line.amountMinor, line.currency)}
                  </Table.Td>
                  <Table.Td>
                    <LineStatus status={line.status} reversed={line.reversedMinor > 0} />
                  </Table.Td>
                  <Table.Td>
                    <Reason line={line} />
                  </Table.Td>
                  <Table.Td>{line.attempts}</Table.Td>
                  <Table.Td>
                    {/* Only a refused line: one whose retries ran out may have a transfer. */}
                    {line.status === 'failed' && line.refused && (
                      <Button
                        size="xs"
                        variant="default"
                        onClick={(event) => abandoning.open(line, event.currentTarget)}
                        aria-label={`Abandon the line of ${line.agentDisplayName ?? line.agentId}`}
                      >
                        Abandon
                      </Button>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      )}
      <LoadMore query={query} what="lines" />
      {abandoning.value && (
        <AbandonModal run={run} line={abandoning.value} onClose={abandoning.close} />
      )}
    </Stack>
  );
}

/**
 * The pages of lines shown are read again whenever a re-read of the run finds it changed (its
 * status or totals: lines paid, failed, held), so they follow it while it pays and show its end.
 * A read under way lands first, then they are read again (one hung past READ_WAIT_MS is given
 * up): cancelling it for the next change (the run is read every 1.5 s) left a link slower than
 * that with lines that never came.
 */
function useLinesFollowRun(run: Run) {
  const queryClient = useQueryClient();
  const version = JSON.stringify([run.status, run.totals]);
  const seen = useRef(version);
  useEffect(() => {
    if (seen.current === version) return;
    seen.current = version;
    void refresh(queryClient, [...keys.payoutRun(run.id), 'lines'], undefined, {
      waitForReads: true,
    });
  }, [queryClient, run.id, version]);
}

function Reason({ line }: { line: Line }) {
  if (line.heldReason)
    return <Text size="sm">{HELD_REASONS[line.heldReason] ?? words(line.heldReason)}</Text>;
  if (line.status === 'abandoned') return <Text size="sm">{line.abandonedReason}</Text>;
  if (line.failureCode)
    return (
      <Text size="sm">
        Stripe: {line.failureMessage ?? words(line.failureCode)} ({line.failureCode})
        {line.status !== 'failed' || line.refused
          ? null
          : line.resendAt
            ? ` Sent again by itself ${formatInstant(line.resendAt, browserZone())}.`
            : ' Its retries ran out and a transfer may exist: retry the failed lines.'}
      </Text>
    );
  if (line.reversedMinor > 0)
    return <Text size="sm">{formatMoney(line.reversedMinor, line.currency)} reversed</Text>;
  return null;
}

function AbandonModal({ run, line, onClose }: { run: Run; line: Line; onClose: () => void }) {
  const queryClient = useQueryClient();
  return (
    <ReasonDialog
      title="Abandon this line"
      reasonDescription="Kept on the line, for the audit"
      confirmLabel="Abandon the line"
      keepLabel="Keep the line"
      errorTitle="Not abandoned"
      confirm={(reason, key) =>
        unwrap(
          api.POST('/v1/payout-runs/{id}/lines/{lineId}/abandon', {
            params: {
              path: { id: run.id, lineId: line.id },
              header: { 'Idempotency-Key': key },
            },
            body: { reason },
          }),
        )
      }
      onDone={() => void refresh(queryClient, keys.payoutRuns)}
      onClose={onClose}
    >
      <Text size="sm">
        {formatMoney(line.amountMinor, line.currency)} to {line.agentDisplayName ?? line.agentId}{' '}
        will not be sent; the money stays available to the agent for a later run.
      </Text>
    </ReasonDialog>
  );
}

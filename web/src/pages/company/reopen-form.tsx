import { Button, Stack, Text, TextInput, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { useKeyedMutation } from '../../api/keyed-mutation';
import { keys } from '../../api/query-keys';
import { ErrorAlert } from '../../ui/error-alert';
import { RetryingNote } from '../../ui/retrying-note';
import { problemOf } from '../../ui/form-errors';
import { refresh } from '../../api/refresh';
import { formatInstant } from '../../ui/times';
import { keepFocusNear } from '../../ui/use-dialog';

const INPUTS = ['reason'];

/**
 * Sends a resolved ticket back to the queue (within the reopen window, `until`); its earning
 * reverses. Past the window it says so instead of offering a form the API refuses.
 */
export function ReopenForm({
  ticketId,
  claimId,
  until,
  now,
  zone,
}: {
  ticketId: string;
  claimId?: string;
  until: string | null;
  now: number;
  zone: string;
}) {
  const queryClient = useQueryClient();
  const [reason, setReason] = useState('');
  // A retry after a lost answer gets that answer: without the key it would reopen whatever
  // resolution stands by then, perhaps the next agent's, clawing back their pay. The
  // resolution shown is named too (claimId): once the key has lapsed, the API refuses a
  // reopen of one that no longer stands (TICKET_RESOLVED_AGAIN).
  const reopen = useKeyedMutation({
    mutationFn: (request: { ticketId: string; reason: string; claimId?: string }, key) =>
      unwrap(
        api.POST('/v1/tickets/{id}/reopen', {
          params: { path: { id: request.ticketId }, header: { 'Idempotency-Key': key } },
          body: { reason: request.reason, claimId: request.claimId },
        }),
      ),
    onSuccess: (_answer, request) => {
      setReason((typed) => (typed === request.reason ? '' : typed));
      void refresh(queryClient, keys.companyTickets);
      void refresh(queryClient, keys.companyResults);
    },
  });
  const errors = problemOf(reopen.error, INPUTS);
  return (
    <Stack component="section" aria-labelledby="reopen-heading" gap="xs">
      <Title order={2} id="reopen-heading" size="h3">
        Reopen
      </Title>
      {until !== null && Date.parse(until) <= now ? (
        <Text size="sm">
          It could be reopened until {formatInstant(until, zone)}: that window has closed.
        </Text>
      ) : (
        <>
          <Text size="sm">
            Not resolved after all?{' '}
            {until !== null ? `You can reopen it until ${formatInstant(until, zone)}: it` : 'It'}{' '}
            goes back to the queue, and the agent&apos;s pay for it is reversed.
          </Text>
          <form
            noValidate
            onSubmit={(event) => {
              event.preventDefault();
              // The form goes once the ticket is reopened: focus stays on the ticket's page.
              keepFocusNear(event.currentTarget);
              reopen.mutate({ ticketId, reason, claimId });
            }}
          >
            <Stack gap="xs">
              <TextInput
                label="Why it is reopened"
                value={reason}
                onChange={(event) => setReason(event.currentTarget.value)}
                error={errors?.field('reason')}
              />
              <RetryingNote retrying={reopen.retrying} />
              <ErrorAlert error={reopen.error} inputs={INPUTS} title="Not reopened" />
              <Button type="submit" variant="default" loading={reopen.isPending} w="fit-content">
                Reopen ticket
              </Button>
            </Stack>
          </form>
        </>
      )}
    </Stack>
  );
}

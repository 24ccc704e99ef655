import { Button, Stack, Text, TextInput } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { useSubmissionKey } from '../../api/idempotency-key';
import { ErrorAlert } from '../../ui/error-alert';
import { problemOf } from '../../ui/form-errors';
import { useTicketExit } from './use-ticket-exit';

const INPUTS = ['reason'];

/** Release: the ticket goes back to the queue (not offered to this agent for 30 minutes). */
export function ReleaseForm({ ticketId }: { ticketId: string }) {
  const [reason, setReason] = useState('');
  const exit = useTicketExit(ticketId);
  // A retry after a lost answer gets that answer, not "not yours" for a ticket it released.
  const submission = useSubmissionKey();
  const release = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v1/tickets/{id}/release', {
          params: {
            path: { id: ticketId },
            header: { 'Idempotency-Key': submission.keyFor({ ticketId, reason }) },
          },
          body: { reason },
        }),
      ),
    onSettled: (_data, error) => submission.settled(error),
    onSuccess: () => exit('Ticket released back to the queue.'),
  });
  const errors = problemOf(release.error, INPUTS);
  return (
    <form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        release.mutate();
      }}
    >
      <Stack gap="xs">
        <Text size="sm">The ticket goes back to the queue for another agent.</Text>
        <TextInput
          label="Reason for releasing"
          description="The next agent and the company that posted the ticket read it; the customer does not"
          value={reason}
          onChange={(event) => setReason(event.currentTarget.value)}
          error={errors?.field('reason')}
        />
        <ErrorAlert error={release.error} inputs={INPUTS} title="Not released" />
        <Button type="submit" variant="default" loading={release.isPending} w="fit-content">
          Release ticket
        </Button>
      </Stack>
    </form>
  );
}

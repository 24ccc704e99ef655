import { Button, Stack, Text, TextInput } from '@mantine/core';
import { api, unwrap } from '../../api/client';
import { useKeyedMutation } from '../../api/keyed-mutation';
import { draftSubmissionKey, useDraft } from '../../ui/drafts';
import { ErrorAlert } from '../../ui/error-alert';
import { RetryingNote } from '../../ui/retrying-note';
import { problemOf } from '../../ui/form-errors';
import { useTicketExit } from './use-ticket-exit';

const INPUTS = ['reason'];

/** Release: the ticket goes back to the queue (not offered to this agent for 30 minutes). */
export function ReleaseForm({ ticketId }: { ticketId: string }) {
  // A draft, as the summary and the message are: kept while the agent is on another page.
  const [reason, setReason] = useDraft(`ticket:${ticketId}:release-reason`);
  const exit = useTicketExit(ticketId);
  // A retry after a lost answer gets that answer, not "not yours" for a ticket it released.
  const release = useKeyedMutation({
    // Kept with the draft: sent again after the page was left and opened again, the same key.
    submission: draftSubmissionKey(`ticket:${ticketId}:release-reason`),
    mutationFn: (request: { ticketId: string; reason: string }, key) =>
      unwrap(
        api.POST('/v1/tickets/{id}/release', {
          params: { path: { id: request.ticketId }, header: { 'Idempotency-Key': key } },
          body: { reason: request.reason },
        }),
      ),
    onSuccess: () => exit('Ticket released back to the queue.'),
  });
  const errors = problemOf(release.error, INPUTS);
  return (
    <form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        release.mutate({ ticketId, reason });
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
        <RetryingNote retrying={release.retrying} />
        <ErrorAlert error={release.error} inputs={INPUTS} title="Not released" />
        <Button type="submit" variant="default" loading={release.isPending} w="fit-content">
          Release ticket
        </Button>
      </Stack>
    </form>
  );
}

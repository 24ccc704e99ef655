import { Button, Stack, Textarea } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { ErrorAlert } from '../../ui/error-alert';
import { problemOf } from '../../ui/form-errors';
import { useTicketExit } from './use-ticket-exit';

const INPUTS = ['resolutionSummary'];

/** Resolve: the summary goes to the company; the ticket pays what its claim was made at. */
export function ResolveForm({ ticketId }: { ticketId: string }) {
  const [summary, setSummary] = useState('');
  const exit = useTicketExit(ticketId);
  const resolve = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v1/tickets/{id}/resolve', {
          params: { path: { id: ticketId } },
          body: { resolutionSummary: summary },
        }),
      ),
    onSuccess: () => exit('Ticket resolved. Its pay is pending in your earnings.'),
  });
  const errors = problemOf(resolve.error, INPUTS);
  return (
    <form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        resolve.mutate();
      }}
    >
      <Stack gap="xs">
        <Textarea
          label="Resolution summary"
          description="What you did, for the company (for example a refund reference)"
          autosize
          minRows={2}
          value={summary}
          onChange={(event) => setSummary(event.currentTarget.value)}
          error={errors?.field('resolutionSummary')}
        />
        <ErrorAlert error={resolve.error} inputs={INPUTS} title="Not resolved" />
        <Button type="submit" color="teal.9" loading={resolve.isPending} w="fit-content">
          Resolve ticket
        </Button>
      </Stack>
    </form>
  );
}

import { Alert, Button, Stack, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api, ApiError, unwrap } from '../../api/client';
import { useSubmissionKey } from '../../api/idempotency-key';
import { keys } from '../../api/query-keys';
import { ErrorAlert } from '../../ui/error-alert';
import { Reasons, reasonsOf } from './reasons';
import { refresh } from '../../api/refresh';

/** On a pull shift the agent takes the best eligible ticket (push shifts offer it instead). */
export function TakeNext() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [none, setNone] = useState(false);
  const submission = useSubmissionKey();
  const take = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v1/agents/me/tickets/claim-next', {
          params: { header: { 'Idempotency-Key': submission.keyFor() } },
        }),
      ),
    onMutate: () => setNone(false),
    onSettled: (_data, error) => submission.settled(error),
    onSuccess: (ticket) => {
      if (!ticket) return setNone(true); // 204: nothing waiting for this agent now
      void refresh(queryClient, keys.myTickets);
      navigate(`/agent/tickets/${ticket.id}`);
    },
  });
  const reasons = take.error instanceof ApiError ? reasonsOf(take.error.details) : [];
  return (
    <Stack component="section" aria-labelledby="next-heading" gap="xs">
      <Title order={2} id="next-heading" size="h3">
        Next ticket
      </Title>
      <Button loading={take.isPending} onClick={() => take.mutate()} w="fit-content">
        Take next ticket
      </Button>
      {none && (
        <Alert color="blue" title="No ticket is waiting">
          Nothing in the queue matches you right now. Try again in a moment.
        </Alert>
      )}
      <ErrorAlert error={take.error} title="No ticket taken" />
      {reasons.length > 0 && <Reasons reasons={reasons} label="Why you cannot take a ticket" />}
    </Stack>
  );
}

import { Button, Group, SegmentedControl, Stack, Text, Textarea } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useId } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { useKeyedMutation } from '../../api/keyed-mutation';
import { keys } from '../../api/query-keys';
import { ErrorAlert } from '../../ui/error-alert';
import { RetryingNote } from '../../ui/retrying-note';
import { draftSubmissionKey, useDraft } from '../../ui/drafts';
import { problemOf } from '../../ui/form-errors';
import { refresh } from '../../api/refresh';

type Visibility = Schemas['CreateTicketMessageDto']['visibility'];
const INPUTS = ['body', 'visibility'];

/** Write to the customer (the company's bot relays it) or leave an internal note. */
export function MessageComposer({ ticketId }: { ticketId: string }) {
  const queryClient = useQueryClient();
  const labelId = useId();
  // Kept while the agent is elsewhere: an offer accepted from this page opens another ticket.
  const [body, setBody] = useDraft(`ticket:${ticketId}:message`);
  // With its text: a note kept while the agent was elsewhere comes back as a note, not as a
  // message the next press sends to the customer.
  const [kept, keep] = useDraft(`ticket:${ticketId}:visibility`);
  const visibility: Visibility = kept === 'internal' ? 'internal' : 'customer';
  const setVisibility = (value: Visibility) => keep(value === 'internal' ? 'internal' : '');
  // Sending again after an answer was lost (a timeout, a 502) must not tell the customer twice:
  // the same message keeps its key until the API has answered for good.
  const send = useKeyedMutation({
    // Kept with the draft: sent again after the page was left and opened again, the same key.
    submission: draftSubmissionKey(`ticket:${ticketId}:message`),
    mutationFn: (message: { ticketId: string; body: string; visibility: Visibility }, key) =>
      unwrap(
        api.POST('/v1/tickets/{id}/messages', {
          params: { path: { id: message.ticketId }, header: { 'Idempotency-Key': key } },
          body: { body: message.body, visibility: message.visibility },
        }),
      ),
    onSuccess: (_answer, message) => {
      // What was typed while it was sent (its retries take seconds) stays in the box.
      setBody((typed) => (typed === message.body ? '' : typed));
      void refresh(queryClient, keys.messages(message.ticketId));
    },
  });
  const errors = problemOf(send.error, INPUTS);

  return (
    <form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        send.mutate({ ticketId, body, visibility });
      }}
    >
      <Stack gap="xs">
        <Stack gap={4}>
          <Text size="sm" fw={500} id={labelId}>
            Send as
          </Text>
          <SegmentedControl
            aria-labelledby={labelId}
            value={visibility}
            onChange={(value) => setVisibility(value as Visibility)}
            data={[
              { value: 'customer', label: 'To the customer' },
              { value: 'internal', label: 'Internal note' },
            ]}
          />
          {errors?.field('visibility') && (
            <Text size="xs" c="red.9">
              {errors.field('visibility')}
            </Text>
          )}
        </Stack>
        <Textarea
          label={visibility === 'customer' ? 'Message' : 'Note'}
          description={
            visibility === 'customer'
              ? 'The customer reads this through the company’s bot'
              : 'Agents who hold this ticket and the company’s admins read notes; the customer does not'
          }
          autosize
          minRows={3}
          maxRows={12}
          value={body}
          onChange={(event) => setBody(event.currentTarget.value)}
          error={errors?.field('body')}
        />
        <RetryingNote retrying={send.retrying} />
        <ErrorAlert error={send.error} inputs={INPUTS} title="Not sent" />
        <Group>
          <Button type="submit" loading={send.isPending}>
            {visibility === 'customer' ? 'Send message' : 'Add note'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

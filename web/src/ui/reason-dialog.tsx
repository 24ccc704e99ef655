import { Button, Group, Modal, Stack, Textarea } from '@mantine/core';
import { useRef, useState, type ReactNode } from 'react';
import { useKeyedMutation } from '../api/keyed-mutation';
import { ErrorAlert } from './error-alert';
import { RetryingNote } from './retrying-note';
import { problemOf } from './form-errors';

interface Props {
  title: string;
  /** What confirming does, in a sentence or two. */
  children: ReactNode;
  /** The text field's label ("Reason" by default; an admin's decision takes a "Note"). */
  reasonLabel?: string;
  /** Under the reason's label: who reads it. */
  reasonDescription: string;
  /** The API's name for the reason, whose problems show under the input (default `reason`). */
  field?: string;
  confirmLabel: string;
  /** What the dialog says is still being read: the confirm waits for it. */
  reading?: boolean;
  keepLabel: string;
  errorTitle: string;
  /**
   * The call; its `reason` field's problems show under the input. `idempotencyKey` is the same
   * while the same reason is sent again after no answer came (by itself, or pressed again), so a
   * step that went through is answered as done, not refused as a state it is already in.
   */
  confirm: (reason: string, idempotencyKey: string) => Promise<unknown>;
  onDone: () => void;
  onClose: () => void;
}

/**
 * A step that needs a reason for the record (suspend an agent, abandon a payout line): what it
 * does, the reason (the API's word on it under the field), confirm or keep things as they are.
 */
export function ReasonDialog(props: Props) {
  const [reason, setReason] = useState('');
  // Read again whatever the answer: a refusal may be a change made meanwhile, a lost answer may
  // have done it, and a press dropped by "Keep" may have too. After a refusal, only once the
  // dialog closes: the re-read can take away the row the dialog lives in (an invoice paid
  // meanwhile leaves the "Past due" list), and with it the dialog, the reason typed and why
  // it was refused.
  const readAgainOnClose = useRef(false);
  const close = () => {
    if (readAgainOnClose.current) props.onDone();
    props.onClose();
  };
  const run = useKeyedMutation({
    mutationFn: (given: string, key) => props.confirm(given, key),
    onSuccess: (_answer, _reason, dropped) => {
      props.onDone();
      if (!dropped) props.onClose();
    },
    onError: (_error, _reason, dropped) => {
      if (dropped) props.onDone();
      else readAgainOnClose.current = true;
    },
    dropOnUnmount: true,
  });
  const inputs = [props.field ?? 'reason'];
  const errors = problemOf(run.error, inputs);
  return (
    <Modal opened onClose={close} title={props.title}>
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          run.mutate(reason);
        }}
      >
        <Stack>
          {props.children}
          <Textarea
            label={props.reasonLabel ?? 'Reason'}
            description={props.reasonDescription}
            value={reason}
            onChange={(event) => setReason(event.currentTarget.value)}
            error={errors?.field(inputs[0])}
            data-autofocus
          />
          <RetryingNote retrying={run.retrying} />
          <ErrorAlert error={run.error} inputs={inputs} title={props.errorTitle} />
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              {props.keepLabel}
            </Button>
            <Button type="submit" loading={run.isPending} disabled={props.reading}>
              {props.confirmLabel}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

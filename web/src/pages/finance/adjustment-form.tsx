import {
  Alert,
  Button,
  Group,
  Radio,
  Select,
  Stack,
  Text,
  TextInput,
  Textarea,
} from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { useKeyedMutation } from '../../api/keyed-mutation';
import { keys } from '../../api/query-keys';
import { ErrorAlert } from '../../ui/error-alert';
import { RetryingNote } from '../../ui/retrying-note';
import { problemOf } from '../../ui/form-errors';
import { amountProblem, MAX_AMOUNT_MINOR, CURRENCIES, formatMoney, toMinor } from '../../ui/money';
import { AgentPicker } from './agent-picker';
import { refresh } from '../../api/refresh';

const INPUTS = ['agentId', 'amountMinor', 'currency', 'reason', 'reference'];

/** A reference finance can recognise: the date and a random tail (editable). */
const newReference = () =>
  `adj-${new Date().toISOString().slice(0, 10)}-${Math.random().toString(36).slice(2, 8)}`;

/**
 * Corrects an agent's available balance: credit or debit, with a reason the agent sees and a
 * unique reference. Above the configured amount (with what its maker moved for the agent in the
 * last 24 hours) it waits for a second finance user.
 */
export function AdjustmentForm() {
  const queryClient = useQueryClient();
  const [agentId, setAgentId] = useState<string | null>(null);
  const [direction, setDirection] = useState('credit');
  const [amount, setAmount] = useState('');
  const [currency, setCurrency] = useState<string | null>('EUR');
  const [reason, setReason] = useState('');
  const [reference, setReference] = useState(newReference);
  const [made, setMade] = useState<Schemas['AdjustmentDto'] | null>(null);
  const cur = currency ?? 'EUR';
  const minor = toMinor(amount, cur);
  // Said under the field, before sending (the API would name `amountMinor`).
  const [amountError, setAmountError] = useState<string | null>(null);
  const create = useKeyedMutation({
    mutationFn: ({ body }: { body: Schemas['CreateAdjustmentDto']; typed: string }, key) =>
      unwrap(
        api.POST('/v1/ledger/adjustments', {
          params: { header: { 'Idempotency-Key': key } },
          body,
        }),
      ),
    request: ({ body }) => body,
    onSuccess: (adjustment, { body, typed }) => {
      setMade(adjustment);
      // What was typed while it was sent (its retries take seconds) stays.
      setAmount((now) => (now === typed ? '' : now));
      setReason((now) => (now === body.reason ? '' : now));
      setReference(newReference());
      void refresh(queryClient, keys.adjustments);
      void refresh(queryClient, keys.ledger);
    },
    // Never answered, it may have been made (its reference keeps it once): the list shows it if
    // it was.
    onError: () => {
      void refresh(queryClient, keys.adjustments);
      void refresh(queryClient, keys.ledger);
    },
  });
  const errors = problemOf(create.error, INPUTS);
  return (
    <form
      noValidate
      aria-label="Adjust an agent's balance"
      onSubmit={(event) => {
        event.preventDefault();
        setMade(null);
        // Said in the form's words, in money: 0 or beyond the API's bound were answered for
        // `amountMinor`, in cents. (An empty one is sent, so the API names every field missing,
        // and is said below as missing.)
        const problem = amountProblem(amount, cur, MAX_AMOUNT_MINOR);
        setAmountError(problem);
        if (problem === null) {
          create.mutate({
            body: {
              agentId: agentId ?? '',
              amountMinor:
                amount.trim() === '' || minor === null
                  ? Number.NaN
                  : direction === 'debit'
                    ? -minor
                    : minor,
              currency: cur,
              reason,
              reference,
            },
            typed: amount,
          });
        }
      }}
    >
      <Stack gap="sm" maw={560}>
        <AgentPicker value={agentId} onChange={setAgentId} error={errors?.field('agentId')} />
        <Radio.Group label="Direction" value={direction} onChange={setDirection}>
          <Group mt={4}>
            <Radio value="credit" label="Credit the agent" />
            <Radio value="debit" label="Debit the agent" />
          </Group>
        </Radio.Group>
        <Group align="flex-start" grow>
          <TextInput
            label="Amount"
            inputMode="decimal"
            value={amount}
            onChange={(event) => {
              setAmount(event.currentTarget.value);
              setAmountError(null);
            }}
            // The API's word on the amount only ever concerns an empty one (anything typed is
            // checked above before sending): said as missing while it is empty, not in cents.
            error={
              amountError ??
              (errors?.field('amountMinor') && amount.trim() === '' ? 'Enter an amount' : undefined)
            }
          />
          <Select
            label="Currency"
            data={CURRENCIES}
            searchable
            value={currency}
            onChange={setCurrency}
            allowDeselect={false}
            error={errors?.field('currency')}
          />
        </Group>
        <Textarea
          label="Reason"
          description="Shown to the agent, and kept for the audit"
          value={reason}
          onChange={(event) => setReason(event.currentTarget.value)}
          error={errors?.field('reason')}
        />
        <TextInput
          label="Reference"
          description="Unique: sending it again with the same details makes no second adjustment"
          value={reference}
          onChange={(event) => setReference(event.currentTarget.value)}
          error={errors?.field('reference')}
        />
        <Group>
          <Button type="submit" loading={create.isPending}>
            Make the adjustment
          </Button>
        </Group>
        <RetryingNote retrying={create.retrying} />
        <ErrorAlert error={create.error} inputs={INPUTS} title="No adjustment made" />
        {made && (
          <Alert
            color={made.status === 'posted' ? 'green' : 'yellow'}
            role="status"
            title={made.status === 'posted' ? 'Posted' : 'Waiting for approval'}
          >
            <Text size="sm">
              {formatMoney(made.amountMinor, made.currency)} for{' '}
              {made.agentDisplayName ?? made.agentId}
              {made.status === 'posted'
                ? ' moved now.'
                : ': with what you moved for this agent in the last 24 hours, above the amount one person may move, so another finance user approves it.'}
            </Text>
          </Alert>
        )}
      </Stack>
    </form>
  );
}

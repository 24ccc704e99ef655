import { Button, Group, Select, Text, TextInput } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api, unwrap, type Schemas } from '../../api/client';
import { useKeyedMutation } from '../../api/keyed-mutation';
import { keys } from '../../api/query-keys';
import { ErrorAlert } from '../../ui/error-alert';
import { RetryingNote } from '../../ui/retrying-note';
import { problemOf } from '../../ui/form-errors';
import { CURRENCIES } from '../../ui/money';
import { browserZone, localTimeProblem, localToInstant } from '../../ui/times';
import { refresh } from '../../api/refresh';

const INPUTS = ['currency', 'cutoff'];

/**
 * Drafts a run: one line per agent with money available at the cutoff (now, unless a past
 * moment is given in the browser's zone), or the reason it is held. Opens the draft.
 */
export function DraftRunForm() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [currency, setCurrency] = useState<string | null>('EUR');
  const [cutoff, setCutoff] = useState('');
  const [cutoffProblem, setCutoffProblem] = useState<string | null>(null);
  const draft = useKeyedMutation({
    mutationFn: (body: Schemas['CreatePayoutRunDto'], key) =>
      unwrap(api.POST('/v1/payout-runs', { params: { header: { 'Idempotency-Key': key } }, body })),
    onSuccess: (run) => {
      void refresh(queryClient, keys.payoutRuns);
      void navigate(`/finance/runs/${run.id}`);
    },
    // Never answered, it may have been drafted: the list shows it if it was.
    onError: () => void refresh(queryClient, keys.payoutRuns),
  });
  const errors = problemOf(draft.error, INPUTS);
  return (
    <form
      noValidate
      aria-label="Draft a payout run"
      onSubmit={(event) => {
        event.preventDefault();
        // A time the clocks skip or repeat is said under the field, not moved without a word.
        const problem = localTimeProblem(cutoff);
        setCutoffProblem(problem);
        if (problem) return;
        draft.mutate({
          currency: currency ?? '',
          ...(cutoff ? { cutoff: localToInstant(cutoff) } : {}),
        });
      }}
    >
      <Group align="flex-start">
        <Select
          label="Currency"
          data={CURRENCIES}
          searchable
          value={currency}
          onChange={setCurrency}
          allowDeselect={false}
          error={errors?.field('currency')}
          w={120}
        />
        <TextInput
          type="datetime-local"
          label="Cutoff"
          description={`Balances as of this moment, ${browserZone()} time; empty for now`}
          value={cutoff}
          onChange={(event) => {
            setCutoff(event.currentTarget.value);
            setCutoffProblem(null);
          }}
          error={cutoffProblem ?? errors?.field('cutoff')}
        />
        <Button type="submit" loading={draft.isPending} mt={24}>
          Draft a run
        </Button>
      </Group>
      <Text size="sm" mt="xs">
        A draft pays nothing: another finance user approves it, then it is executed.
      </Text>
      <RetryingNote retrying={draft.retrying} />
      <ErrorAlert error={draft.error} inputs={INPUTS} title="No run drafted" />
    </form>
  );
}

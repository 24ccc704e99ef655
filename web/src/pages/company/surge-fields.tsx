import { NumberInput, SimpleGrid, Stack, Switch, TextInput } from '@mantine/core';
import { useState, type ReactNode } from 'react';
import type { Schemas } from '../../api/client';
import type { Problem } from '../../ui/form-errors';
import { amountProblem, MAX_SURGE_BUDGET_MINOR, minorDigits, toMinor } from '../../ui/money';

type Surge = Schemas['SurgeDto'];

/** The inputs the API's field errors name (`surge.budgetMinor` goes under the budget). */
export const SURGE_INPUTS = [
  'surge.maxMultiplierBps',
  'surge.openTicketsPerAgent',
  'surge.budgetMinor',
];

/**
 * Surge settings of a shift (docs/quality.md, "Surge"), for the post and change forms: off, or
 * the top multiplier (as ×, sent in basis points), the open tickets per checked-in agent where
 * it starts, and the budget in the shift's currency. `body()` is what to send: null when off.
 */
export function useSurgeFields(
  initial: Surge | null,
  currency: string,
  /** Side by side in a page's form; one above the other in a dialog. */
  layout: 'row' | 'stack' = 'row',
): {
  body: () => Surge | null;
  changed: () => boolean;
  /** Says under each field why it cannot be read, before anything is sent; true when all can. */
  check: () => boolean;
  fields: (errors: Problem | null) => ReactNode;
} {
  const digits = minorDigits(currency);
  const [on, setOn] = useState(initial !== null);
  const [multiplier, setMultiplier] = useState<number | string>(
    initial ? initial.maxMultiplierBps / 10_000 : 1.5,
  );
  const [perAgent, setPerAgent] = useState<number | string>(initial?.openTicketsPerAgent ?? 3);
  const [budget, setBudget] = useState(
    initial ? (initial.budgetMinor / 10 ** digits).toFixed(digits) : '',
  );
  // A budget such as "1,000" is said in the field's words, not as the API's `budgetMinor`.
  const [budgetError, setBudgetError] = useState<string | null>(null);
  // So are an emptied multiplier or threshold (the API named `maxMultiplierBps`, in basis points).
  const [multiplierError, setMultiplierError] = useState<string | null>(null);
  const [perAgentError, setPerAgentError] = useState<string | null>(null);
  const check = () => {
    const problem = on
      ? budget.trim() === ''
        ? 'Enter the most the extras may add up to'
        : amountProblem(budget, currency, MAX_SURGE_BUDGET_MINOR)
      : null;
    const top = Number(multiplier);
    // The API's bounds (10,001–30,000 basis points): a shift posted over the API at ×1.005
    // must still be changeable here.
    const multiplierProblem =
      on && (multiplier === '' || !(top > 1 && top <= 3))
        ? 'Enter a multiplier above 1, up to 3'
        : null;
    const threshold = Number(perAgent);
    const perAgentProblem =
      on && (perAgent === '' || !Number.isInteger(threshold) || threshold < 1 || threshold > 1000)
        ? 'Enter a whole number from 1 to 1,000'
        : null;
    setBudgetError(problem);
    setMultiplierError(multiplierProblem);
    setPerAgentError(perAgentProblem);
    return problem === null && multiplierProblem === null && perAgentProblem === null;
  };
  const body = (): Surge | null =>
    on
      ? {
          maxMultiplierBps: Math.round(Number(multiplier) * 10_000),
          openTicketsPerAgent: Number(perAgent),
          // Unreadable budgets never get here (check() stops the form first).
          budgetMinor: toMinor(budget, currency) ?? 0,
        }
      : null;
  const changed = () => JSON.stringify(body()) !== JSON.stringify(initial);
  const fields = (errors: Problem | null) => (
    <Stack gap="xs">
      <Switch
        label="Surge pay when the queue runs long"
        description="Newly claimed tickets pay more while open tickets per checked-in agent pass a threshold, up to a budget"
        checked={on}
        onChange={(event) => setOn(event.currentTarget.checked)}
      />
      {on && (
        <SimpleGrid cols={layout === 'row' ? { base: 1, sm: 3 } : 1}>
          <NumberInput
            label="Top multiplier (×)"
            description="Reached at twice the threshold (above 1, up to 3)"
            min={1.01}
            max={3}
            step={0.05}
            decimalScale={2}
            value={multiplier}
            onChange={(value) => {
              setMultiplier(value);
              setMultiplierError(null);
            }}
            error={multiplierError ?? errors?.field('surge.maxMultiplierBps')}
          />
          <NumberInput
            label="Open tickets per agent"
            description="Surge starts above this many"
            min={1}
            max={1000}
            allowDecimal={false}
            value={perAgent}
            onChange={(value) => {
              setPerAgent(value);
              setPerAgentError(null);
            }}
            error={perAgentError ?? errors?.field('surge.openTicketsPerAgent')}
          />
          <TextInput
            label={`Surge budget (${currency})`}
            description="The most the extras may add up to"
            inputMode="decimal"
            value={budget}
            onChange={(event) => {
              setBudget(event.currentTarget.value);
              setBudgetError(null);
            }}
            error={budgetError ?? errors?.field('surge.budgetMinor')}
          />
        </SimpleGrid>
      )}
    </Stack>
  );
  return { body, changed, check, fields };
}

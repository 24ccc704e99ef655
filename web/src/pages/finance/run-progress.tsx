import { Progress, SimpleGrid, Stack, Text, VisuallyHidden } from '@mantine/core';
import type { Schemas } from '../../api/client';
import { count } from '../../ui/count';
import { formatMoney } from '../../ui/money';

type Run = Schemas['PayoutRunDetailDto'];

function Figure({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={600}>{value}</Text>
    </div>
  );
}

/** The run's totals and, once it pays, how far it got: paid, failed and in flight. */
export function RunProgress({ run }: { run: Run }) {
  const t = run.totals;
  const m = (minor: number) => formatMoney(minor, run.currency);
  const settled = t.paidLines + t.failedLines + t.abandonedLines;
  const paying = run.status === 'executing' || run.status.startsWith('completed');
  const percent = t.payableLines === 0 ? 0 : Math.round((settled / t.payableLines) * 100);
  return (
    <Stack gap="sm">
      <SimpleGrid cols={{ base: 2, sm: 4 }}>
        <Figure label="Payable" value={`${m(t.payableMinor)} · ${count(t.payableLines, 'line')}`} />
        <Figure label="Held" value={`${m(t.heldMinor)} · ${count(t.heldLines, 'line')}`} />
        <Figure label="Paid" value={`${m(t.paidMinor)} · ${count(t.paidLines, 'line')}`} />
        {t.reversedLines > 0 && (
          <Figure
            label="Reversed since, back in the agents' balances"
            value={`${m(t.reversedMinor)} · ${count(t.reversedLines, 'line')}`}
          />
        )}
        <Figure
          label="Failed, abandoned, in flight"
          value={`${t.failedLines} · ${t.abandonedLines} · ${t.inFlightLines}`}
        />
      </SimpleGrid>
      {paying && (
        <Stack gap={4}>
          <Progress
            value={percent}
            color={t.failedLines > 0 ? 'orange' : 'green'}
            aria-label="Lines settled"
            animated={run.status === 'executing'}
          />
          <Text size="sm">
            {settled} of {count(t.payableLines, 'line')} settled ({percent} %)
            {run.status === 'executing' ? ', paying…' : '.'}
          </Text>
        </Stack>
      )}
      {/* Said when the run starts paying and when it ends, not at every re-read (each 1.5 s): on
          the page from the start, as a region added with its text is often not read. */}
      <VisuallyHidden aria-live="polite">
        {run.status === 'executing'
          ? 'The run is paying.'
          : paying
            ? `The run has ended: ${count(t.paidLines, 'line')} paid` +
              (t.failedLines > 0 ? `, ${count(t.failedLines, 'line')} failed` : '') +
              (t.abandonedLines > 0 ? `, ${count(t.abandonedLines, 'line')} abandoned` : '') +
              '.'
            : ''}
      </VisuallyHidden>
    </Stack>
  );
}

import { Button, Group, Text } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { useKeyedMutation } from '../../api/keyed-mutation';
import { useSession } from '../../api/session-context';
import { keys } from '../../api/query-keys';
import { ErrorAlert } from '../../ui/error-alert';
import { RetryingNote } from '../../ui/retrying-note';
import { ConfirmButton } from '../../ui/confirm-button';
import { formatMoney } from '../../ui/money';
import { refresh } from '../../api/refresh';
import { keepFocusNear } from '../../ui/use-dialog';
import { count } from '../../ui/count';

type Run = Schemas['PayoutRunDetailDto'];

/** Saves the run's lines as a CSV file (the API wants the bearer token: no plain link). */
async function downloadCsv(run: Run): Promise<void> {
  const csv = await unwrap(
    api.GET('/v1/payout-runs/{id}/lines.csv', {
      params: { path: { id: run.id } },
      parseAs: 'text',
    }),
  );
  const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = `payout-run-${run.id}.csv`;
  // In the document while clicked, and the file's URL kept a minute: Safari and some Firefox
  // versions start the download after click() returns, and a URL revoked at once gave them
  // no file (Chromium copes either way).
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * What finance can do with the run in its state: approve (not its creator: the button says
 * why), cancel, execute, send the failed lines again, and download the lines.
 */
export function RunActions({ run }: { run: Run }) {
  const queryClient = useQueryClient();
  const { user } = useSession();
  const [downloadError, setDownloadError] = useState<unknown>(null);
  const [downloading, setDownloading] = useState(false);
  // Sent again after no answer came, an action is answered as the first (done), not refused as
  // a state the run is already in.
  const act = useKeyedMutation({
    mutationFn: (
      {
        runId,
        action,
      }: { runId: string; action: 'approve' | 'cancel' | 'execute' | 'retry-failed' },
      key,
    ) => {
      const params = { params: { path: { id: runId }, header: { 'Idempotency-Key': key } } };
      if (action === 'approve') return unwrap(api.POST('/v1/payout-runs/{id}/approve', params));
      if (action === 'cancel') return unwrap(api.POST('/v1/payout-runs/{id}/cancel', params));
      if (action === 'execute') return unwrap(api.POST('/v1/payout-runs/{id}/execute', params));
      return unwrap(api.POST('/v1/payout-runs/{id}/retry-failed', params));
    },
    // Pending until the run is read again: its buttons follow its new state, so a second click
    // on Execute cannot land between the answer and the refetch (a 409 just after a success).
    onSettled: () => refresh(queryClient, keys.payoutRuns),
  });
  const busy = (action: string) => act.isPending && act.variables?.action === action;
  // One action on the run at a time: a cancel confirmed while Execute was on its way took over
  // the shared state, and Execute could be pressed again.
  const waiting = (action: string) => act.isPending && act.variables?.action !== action;
  const mine = user?.id === run.createdBy;
  // Failed lines are sent again from an executing run too (lines fail one by one while the rest
  // are sent). The same call sends again a line whose job died in the middle (the API counts it
  // stuck after 10 minutes unanswered), and completes a run left executing with nothing in
  // flight: the only way to do either from here (the run otherwise says "paying…" for good and
  // blocks the next one). Judged by the run's executedAt, it showed right after a retry.
  const retryable = run.status === 'completed_with_failures' || run.status === 'executing';
  // Not the lines Stripe's answer has sent again by themselves at their resendAt: a retry leaves
  // those as they are, and the button did nothing, without a word.
  const canRetry = retryable && run.totals.retryableLines > 0;
  const waitingResend = retryable ? run.totals.failedLines - run.totals.retryableLines : 0;
  const pays = formatMoney(run.totals.payableMinor, run.currency);
  const balance = run.platformBalanceMinor;
  // Executing holds the lines the platform's Stripe balance cannot cover: not to be promised.
  const short = balance !== null && balance < run.totals.payableMinor;
  // A run completed with failures may send lines again too (its retry did), and they stick.
  const canSendStuck =
    !canRetry &&
    retryable &&
    (run.totals.stuckLines > 0 || (run.status === 'executing' && run.totals.inFlightLines === 0));
  return (
    <Group gap="sm">
      {run.status === 'draft' && (
        <>
          <Button
            onClick={(event) => {
              // Execute takes its place once approved: focus stays in the run's page.
              keepFocusNear(event.currentTarget);
              act.mutate({ runId: run.id, action: 'approve' });
            }}
            loading={busy('approve')}
            disabled={mine || run.totals.payableLines === 0 || waiting('approve')}
          >
            Approve
          </Button>
          {mine && <Text size="sm">You drafted this run: another finance user approves it.</Text>}
          {!mine && run.totals.payableLines === 0 && (
            <Text size="sm">Nothing in this run can be paid: cancel it.</Text>
          )}
        </>
      )}
      {run.status === 'approved' && (
        // Money leaves at Stripe: asked first, as cancelling is, so one stray click cannot pay.
        <ConfirmButton
          loading={busy('execute')}
          disabled={waiting('execute')}
          title="Pay this run now?"
          consequence={
            short
              ? `This run pays ${pays}, but the platform's Stripe balance holds ${formatMoney(balance, run.currency)}: the lines it cannot cover are held (insufficient platform balance), and only the others are paid. A transfer made cannot be called back from here.`
              : `Stripe transfers up to ${pays} to ${count(run.totals.payableLines, 'agent')}: each line pays at most what its agent has available when it is sent (a clawback since the draft pays less, or holds it). A transfer made cannot be called back from here.`
          }
          confirmLabel="Pay now"
          keepLabel="Not yet"
          onConfirm={() => act.mutate({ runId: run.id, action: 'execute' })}
        >
          Execute: pay {count(run.totals.payableLines, 'line')}
        </ConfirmButton>
      )}
      {canRetry && (
        <Button
          onClick={(event) => {
            // The button goes once the lines are sent: focus stays in the run's page.
            keepFocusNear(event.currentTarget);
            act.mutate({ runId: run.id, action: 'retry-failed' });
          }}
          loading={busy('retry-failed')}
          disabled={waiting('retry-failed')}
        >
          Retry {count(run.totals.retryableLines, 'failed line')}
        </Button>
      )}
      {waitingResend > 0 && (
        <Text size="sm">
          {waitingResend === 1
            ? '1 failed line is sent again by itself'
            : `${waitingResend} failed lines are sent again by themselves`}{' '}
          when Stripe allows (each line says when): a retry leaves{' '}
          {waitingResend === 1 ? 'it as it is' : 'them as they are'}.
        </Text>
      )}
      {canSendStuck && (
        <>
          <Button
            variant="default"
            onClick={(event) => {
              keepFocusNear(event.currentTarget);
              act.mutate({ runId: run.id, action: 'retry-failed' });
            }}
            loading={busy('retry-failed')}
            disabled={waiting('retry-failed')}
          >
            Send stuck lines again
          </Button>
          <Text size="sm">
            A line still being sent after 10 minutes (its worker died) is sent again, after asking
            Stripe whether it was paid; a run with nothing left to send completes. Nothing else
            changes: a run still sending normally goes on as it was.
          </Text>
        </>
      )}
      {(run.status === 'draft' || run.status === 'approved') && (
        <ConfirmButton
          variant="default"
          loading={busy('cancel')}
          disabled={waiting('cancel')}
          title="Cancel this payout run?"
          consequence={
            run.status === 'approved'
              ? 'Nothing in it is paid, and its approval is lost: the earnings go back to be drafted in a new run.'
              : 'Nothing in it is paid: the earnings go back to be drafted in a new run.'
          }
          confirmLabel="Cancel the run"
          keepLabel="Keep the run"
          onConfirm={() => act.mutate({ runId: run.id, action: 'cancel' })}
        >
          Cancel run
        </ConfirmButton>
      )}
      <Button
        variant="default"
        // A run of 50,000 lines takes seconds to read: busy meanwhile, not pressed again.
        loading={downloading}
        onClick={() => {
          setDownloadError(null);
          setDownloading(true);
          downloadCsv(run)
            .catch(setDownloadError)
            .finally(() => setDownloading(false));
        }}
      >
        Download CSV
      </Button>
      <RetryingNote retrying={act.retrying} />
      <ErrorAlert error={act.error} title="That did not work" />
      <ErrorAlert error={downloadError} title="No CSV" />
    </Group>
  );
}

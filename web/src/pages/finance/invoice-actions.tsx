import { Button, Group, Modal, Stack, Text, Textarea, TextInput } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { useSubmissionKey, type SubmissionKey } from '../../api/idempotency-key';
import { useKeyedMutation } from '../../api/keyed-mutation';
import { keys } from '../../api/query-keys';
import { ErrorAlert } from '../../ui/error-alert';
import { RetryingNote } from '../../ui/retrying-note';
import { problemOf } from '../../ui/form-errors';
import { amountProblem, formatMoney, toMinor } from '../../ui/money';
import { ReasonDialog } from '../../ui/reason-dialog';
import { useDialog } from '../../ui/use-dialog';
import { periodLabel } from '../company/invoices-section';
import { refresh as reread } from '../../api/refresh';

type Invoice = Schemas['FinanceInvoiceDto'];

/**
 * What is left of a lost dispute to settle, by a credit note or by billing it again: what the
 * company's bank took back, less credits and what was billed again.
 */
const creditable = (invoice: Invoice) =>
  ['lost', 'appeal_needs_response', 'appeal_under_review'].includes(invoice.disputeStatus ?? '')
    ? (invoice.disputedMinor ?? 0) - invoice.creditedMinor - invoice.rebilledMinor
    : 0;
const INPUTS = ['amountMinor', 'reason'];

/**
 * Write off (unpaid at Stripe), waive the hold a written-off invoice puts on its company, and
 * settle a lost dispute's amount (credit note, or bill it again), for one invoice.
 */
export function InvoiceActions({ invoice }: { invoice: Invoice }) {
  // Focus goes back to the button that opened a dialog when it closes (a keyboard user was
  // left at the top of a long table).
  const dialog = useDialog<'write-off' | 'waive' | 'credit' | 'bill-again'>();
  const open = dialog.value;
  const queryClient = useQueryClient();
  // Each of these posts to the ledger too (bad debt, a credit, a rebill): its page reads anew.
  const refresh = () => {
    void reread(queryClient, keys.receivables);
    void reread(queryClient, keys.ledger);
  };
  const label = `${invoice.companyName ?? 'company'} ${periodLabel(invoice)}`;
  // Here, not in the dialog: a credit whose answer was lost, sent again after the dialog was
  // closed and opened, goes under the same key (a new dialog's new key credited twice).
  const creditKey = useSubmissionKey();
  return (
    <Group gap="xs" wrap="nowrap">
      {(invoice.status === 'open' || invoice.status === 'past_due') && (
        <Button
          size="xs"
          variant="default"
          aria-label={`Write off invoice of ${label}`}
          onClick={(e) => dialog.open('write-off', e.currentTarget)}
        >
          Write off
        </Button>
      )}
      {invoice.status === 'uncollectible' && !invoice.holdWaivedAt && (
        <Button
          size="xs"
          variant="default"
          aria-label={`Waive the hold of invoice of ${label}`}
          onClick={(e) => dialog.open('waive', e.currentTarget)}
        >
          Waive the hold
        </Button>
      )}
      {creditable(invoice) > 0 && (
        <Button
          size="xs"
          variant="default"
          aria-label={`Credit note on invoice of ${label}`}
          onClick={(e) => dialog.open('credit', e.currentTarget)}
        >
          Credit note
        </Button>
      )}
      {creditable(invoice) > 0 && (
        <Button
          size="xs"
          variant="default"
          aria-label={`Bill again the dispute lost on invoice of ${label}`}
          onClick={(e) => dialog.open('bill-again', e.currentTarget)}
        >
          Bill again
        </Button>
      )}
      {open === 'bill-again' && (
        <BillAgainModal invoice={invoice} label={label} onDone={refresh} onClose={dialog.close} />
      )}
      {open === 'write-off' && (
        <ReasonDialog
          title={`Write off the invoice of ${label}`}
          reasonDescription="Kept on the ledger entry"
          confirmLabel="Write off"
          keepLabel="Keep collecting"
          errorTitle="Not written off"
          confirm={(reason, key) =>
            unwrap(
              api.POST('/v1/invoices/{id}/write-off', {
                params: { path: { id: invoice.id }, header: { 'Idempotency-Key': key } },
                body: { reason },
              }),
            )
          }
          onDone={refresh}
          onClose={dialog.close}
        >
          <Text size="sm">
            Stripe stops charging it, and the {formatMoney(invoice.totalMinor, invoice.currency)} it
            is owed goes to bad debt. The company is then held (no new or larger shifts) until it
            pays or the hold is waived.
          </Text>
        </ReasonDialog>
      )}
      {open === 'waive' && (
        <ReasonDialog
          title={`Waive the hold of the invoice of ${label}`}
          reasonDescription="Kept on the invoice"
          confirmLabel="Waive the hold"
          keepLabel="Keep the hold"
          errorTitle="Not waived"
          confirm={(reason, key) =>
            unwrap(
              api.POST('/v1/invoices/{id}/waive-hold', {
                params: { path: { id: invoice.id }, header: { 'Idempotency-Key': key } },
                body: { reason },
              }),
            )
          }
          onDone={refresh}
          onClose={dialog.close}
        >
          <Text size="sm">
            The company may post shifts again for good, though this invoice stays unpaid and written
            off (a lift lasts 30 days at most). A later payment still recovers it.
          </Text>
        </ReasonDialog>
      )}
      {open === 'credit' && (
        <CreditNoteModal
          invoice={invoice}
          label={label}
          submission={creditKey}
          onDone={refresh}
          onClose={dialog.close}
        />
      )}
    </Group>
  );
}

function CreditNoteModal(props: {
  invoice: Invoice;
  label: string;
  submission: SubmissionKey;
  onDone: () => void;
  onClose: () => void;
}) {
  const { invoice, submission } = props;
  const [amount, setAmount] = useState('');
  const [amountError, setAmountError] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  // One key per body while its answer may have been lost: submitting the same credit again
  // cannot credit twice, and a corrected amount is a new request. A final answer frees it: a
  // refusal the API stored under the key would otherwise be replayed to the same credit sent
  // again once its cause has gone.
  const run = useKeyedMutation({
    mutationFn: (body: Schemas['CreateCreditNoteDto'], key) =>
      unwrap(
        api.POST('/v1/invoices/{id}/credit-notes', {
          params: { path: { id: invoice.id }, header: { 'Idempotency-Key': key } },
          body,
        }),
      ),
    submission,
    // A failure may have credited all the same (its answers lost, or the dialog closed while
    // it was sent again) or met a credit made meanwhile: what is left to credit is read again.
    onSettled: () => props.onDone(),
    onSuccess: (_answer, _request, dropped) => dropped || props.onClose(),
    dropOnUnmount: true,
  });
  const errors = problemOf(run.error, INPUTS);
  return (
    <Modal opened onClose={props.onClose} title={`Credit note on the invoice of ${props.label}`}>
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          const problem =
            amount.trim() === ''
              ? 'Enter an amount'
              : // Its upper bound is the API's to say: what may be credited is read there.
                amountProblem(amount, invoice.currency, Number.MAX_SAFE_INTEGER);
          setAmountError(problem);
          // Empty, 0 and one that cannot be read are said under the field before sending ("1,000"
          // was sent as 0 and answered "amountMinor must not be less than 1").
          if (problem === null) {
            run.mutate({ amountMinor: toMinor(amount, invoice.currency) ?? 0, reason });
          }
        }}
      >
        <Stack>
          <TextInput
            label={`Amount (${invoice.currency})`}
            description={`At most ${formatMoney(creditable(invoice), invoice.currency)} (what the lost dispute took back, less earlier credits), and no more than the company owes`}
            inputMode="decimal"
            value={amount}
            onChange={(e) => {
              setAmount(e.currentTarget.value);
              setAmountError(null);
            }}
            error={amountError ?? errors?.field('amountMinor')}
            data-autofocus
          />
          <Textarea
            label="Reason"
            description="Kept on the ledger entry"
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
            error={errors?.field('reason')}
          />
          <RetryingNote retrying={run.retrying} />
          <ErrorAlert error={run.error} inputs={INPUTS} title="No credit note" />
          <Group justify="flex-end">
            <Button variant="default" onClick={props.onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={run.isPending}>
              Credit
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function BillAgainModal(props: {
  invoice: Invoice;
  label: string;
  onDone: () => void;
  onClose: () => void;
}) {
  const { invoice } = props;
  const run = useKeyedMutation({
    mutationFn: (invoiceId: string, key) =>
      unwrap(
        api.POST('/v1/invoices/{id}/bill-dispute-again', {
          params: { path: { id: invoiceId }, header: { 'Idempotency-Key': key } },
        }),
      ),
    onSettled: () => props.onDone(),
    onSuccess: (_answer, _request, dropped) => dropped || props.onClose(),
    dropOnUnmount: true,
  });
  return (
    <Modal
      opened
      onClose={props.onClose}
      title={`Bill again the dispute lost on the invoice of ${props.label}`}
    >
      <Stack>
        <Text size="sm">
          The {formatMoney(creditable(invoice), invoice.currency)} the company's bank took back
          {invoice.creditedMinor > 0 ? ' (less what was credited)' : ''} goes on its next invoice,
          which Stripe collects like any other. No credit note can be made on it after.
        </Text>
        <RetryingNote retrying={run.retrying} />
        <ErrorAlert error={run.error} title="Not billed again" />
        <Group justify="flex-end">
          <Button variant="default" onClick={props.onClose}>
            Cancel
          </Button>
          <Button loading={run.isPending} onClick={() => run.mutate(invoice.id)} data-autofocus>
            Bill again
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

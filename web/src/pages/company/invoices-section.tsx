import { Anchor, Badge, Stack, Table, Text, Title } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { api, unwrap, type Schemas } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ReadErrorAlert } from '../../ui/error-alert';
import { LoadMore } from '../../ui/load-more';
import { Loading } from '../../ui/loading';
import { formatMoney } from '../../ui/money';
import { nextCursor, PAGE_SIZE } from '../../ui/paging';
import { ScrollTable } from '../../ui/scroll-table';
import { browserZone, formatInstant } from '../../ui/times';

type Invoice = Schemas['InvoiceDto'];

const INVOICE_STATUS_COLORS: Record<string, string> = {
  draft: 'gray',
  open: 'blue',
  past_due: 'red',
  paid: 'green',
  uncollectible: 'dark',
  void: 'gray',
  no_charge: 'teal',
};

/** An invoice's status in words, as the receivables filter names it (API: `uncollectible`). */
const INVOICE_STATUS_LABELS: Record<string, string> = {
  past_due: 'past due',
  uncollectible: 'written off',
  no_charge: 'no charge',
};

/** `30 Nov – 6 Dec 2026`: a period's first and last day in the zone it was cut in. */
export function periodLabel(
  invoice: Pick<Invoice, 'periodStartsAt' | 'periodEndsAt' | 'timeZone'>,
) {
  const day = new Intl.DateTimeFormat('en-GB', {
    timeZone: invoice.timeZone,
    day: 'numeric',
    month: 'short',
    year: 'numeric',
  });
  const last = new Date(Date.parse(invoice.periodEndsAt) - 1);
  return `${day.format(new Date(invoice.periodStartsAt))} – ${day.format(last)}`;
}

/** An invoice's state, and why its last charge failed and when Stripe tries again. */
export function InvoiceStatus({ invoice, zone }: { invoice: Invoice; zone: string }) {
  return (
    <>
      <Badge variant="light" color={INVOICE_STATUS_COLORS[invoice.status]}>
        {INVOICE_STATUS_LABELS[invoice.status] ?? invoice.status.replace('_', ' ')}
      </Badge>
      {invoice.carriedOutMinor > 0 && (
        <Text size="xs">
          Below the smallest amount a card is charged: carried to the next invoice
        </Text>
      )}
      {invoice.carriedOutMinor < 0 && (
        <Text size="xs">
          {formatMoney(-invoice.carriedOutMinor, invoice.currency)} of credit carried to the next
          invoice
        </Text>
      )}
      {invoice.refundedMinor > 0 && (
        <Text size="xs">
          {formatMoney(invoice.refundedMinor, invoice.currency)} refunded to the card
        </Text>
      )}
      <DisputeNotes invoice={invoice} zone={zone} />
      {invoice.lastPaymentError && (
        <Text size="xs" c="red">
          {invoice.lastPaymentError}
          {invoice.nextPaymentAttemptAt &&
            ` · next try ${formatInstant(invoice.nextPaymentAttemptAt, zone)}`}
        </Text>
      )}
    </>
  );
}

/** What a dispute of the charge that paid it asked, and how it stands, in the company's words. */
const DISPUTE_WORDS: Record<string, (amount: string) => string> = {
  needs_response: (a) => `Your bank disputes ${a} of this payment: taken back while decided`,
  under_review: (a) => `Your bank disputes ${a} of this payment: taken back while decided`,
  won: (a) => `Your bank disputed ${a} of this payment: decided for Handoff, the payment stands`,
  lost: (a) => `Your bank took back ${a} of this payment (a dispute): owed again`,
  appeal_needs_response: (a) =>
    `Your bank took back ${a} of this payment (a dispute): owed again, under appeal`,
  appeal_under_review: (a) =>
    `Your bank took back ${a} of this payment (a dispute): owed again, under appeal`,
};

/**
 * A dispute of the invoice's payment (the company's own bank took the money back), what Handoff
 * forgave of it and what it billed again: the books owed it again and the company's console said
 * only "paid". An inquiry, which takes nothing, is said as one.
 */
function DisputeNotes({ invoice, zone }: { invoice: Invoice; zone: string }) {
  const status = invoice.disputeStatus;
  if (!status) return null;
  const amount = formatMoney(invoice.disputedMinor ?? 0, invoice.currency);
  const words = DISPUTE_WORDS[status];
  return (
    <>
      <Text size="xs">
        {words
          ? words(amount)
          : status.startsWith('warning_')
            ? 'Your bank asked about this payment (an inquiry): nothing taken'
            : `A dispute of ${amount} of this payment: ${status.replaceAll('_', ' ')}`}
      </Text>
      {/* Won (on appeal too): what the loss was settled with is undone. */}
      {status !== 'won' && invoice.creditedMinor > 0 && (
        <Text size="xs">
          {formatMoney(invoice.creditedMinor, invoice.currency)} of it forgiven (a credit note)
        </Text>
      )}
      {status !== 'won' && invoice.rebilledAt && (
        <Text size="xs">
          {formatMoney(invoice.rebilledMinor, invoice.currency)} of it billed again on your next
          invoice (decided {formatInstant(invoice.rebilledAt, zone)})
        </Text>
      )}
    </>
  );
}

/** The company's invoices, newest first: state at Stripe, why a charge failed, the hosted page. */
export function InvoicesSection() {
  const invoices = useInfiniteQuery({
    queryKey: [...keys.billing, 'invoices'],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/v1/companies/me/invoices', {
          params: { query: { limit: PAGE_SIZE, cursor: pageParam } },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: nextCursor,
  });
  const items = invoices.data?.pages.flatMap((p) => p.items) ?? [];
  const zone = browserZone();
  return (
    <Stack component="section" aria-labelledby="invoices-heading" gap="xs">
      <Title order={2} id="invoices-heading" size="h3">
        Invoices
      </Title>
      <Text size="sm">
        Each period closes at midnight in your time zone; its invoice bills what was booked in it:
        the tickets resolved (a line per shift, booked within seconds of the resolution, so one
        resolved in the period's last moments may go on the next invoice), less credits for those
        reopened; it is charged to your card.
      </Text>
      {invoices.isPending && <Loading label="Loading your invoices" />}
      <ReadErrorAlert query={invoices} title="Your invoices could not be loaded" />
      {invoices.isSuccess && items.length === 0 && <Text size="sm">No invoice yet.</Text>}
      {items.length > 0 && (
        <ScrollTable label="Table of invoices">
          <Table miw={640}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Period</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th style={{ textAlign: 'right' }}>Total</Table.Th>
                <Table.Th>Lines</Table.Th>
                <Table.Th>Invoice</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((i) => (
                <Table.Tr key={i.id}>
                  <Table.Td>{periodLabel(i)}</Table.Td>
                  <Table.Td>
                    <InvoiceStatus invoice={i} zone={zone} />
                  </Table.Td>
                  <Table.Td style={{ textAlign: 'right' }}>
                    {formatMoney(i.totalMinor, i.currency)}
                  </Table.Td>
                  <Table.Td>
                    {i.lines.map((l, n) => (
                      <Text size="xs" key={n}>
                        {l.description} · {formatMoney(l.amountMinor, i.currency)}
                      </Text>
                    ))}
                  </Table.Td>
                  <Table.Td>
                    {i.hostedInvoiceUrl ? (
                      <Anchor
                        href={i.hostedInvoiceUrl}
                        target="_blank"
                        rel="noreferrer"
                        size="sm"
                        // Said, not shown: a hidden span, placed absolutely, widened the page
                        // past a phone's width from within the scrolled table.
                        aria-label={`${i.number ?? 'View'} at Stripe (opens in a new tab)`}
                      >
                        {i.number ?? 'View'} at Stripe
                      </Anchor>
                    ) : (
                      '—'
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      )}
      <LoadMore query={invoices} what="invoices" />
    </Stack>
  );
}

import { Alert, Anchor, Button, Card, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { api, unwrap, type Schemas } from '../../api/client';
import { useKeyedMutation } from '../../api/keyed-mutation';
import { keys } from '../../api/query-keys';
import { ErrorAlert, RefreshFailedAlert } from '../../ui/error-alert';
import { RetryingNote } from '../../ui/retrying-note';
import { Loading } from '../../ui/loading';
import { formatMoney } from '../../ui/money';
import { browserZone, formatInstant } from '../../ui/times';
import { Page } from '../../ui/page';
import { BillingSettingsForm } from './billing-settings-form';
import { InvoicesSection } from './invoices-section';

/** Back from Stripe, the card arrives with Stripe's event: look again every 2 s till it has. */
const CONFIRMING_MS = 2_000;

/**
 * How the company pays: the card invoices are charged to (saved on Stripe's Checkout page, which
 * sends the browser back here with `?setup=done` or `=cancelled`), what it owes now, and its
 * invoicing settings.
 */
export default function BillingPage() {
  const [params] = useSearchParams();
  const back = params.get('setup');
  // The second the setup began (the API puts it in the return address): a card saved before it
  // is the one being replaced, still shown while Stripe's event is on its way.
  // A minute's slack: `since` is the API's clock, savedAt Stripe's event time.
  const sinceMs = (Number(params.get('since') ?? 0) - 60) * 1000;
  const awaited = (card: Schemas['SavedCardDto'] | null | undefined) =>
    back === 'done' && (!card || Date.parse(card.savedAt) < sinceMs);
  const billing = useQuery({
    queryKey: keys.billing,
    queryFn: () => unwrap(api.GET('/v1/companies/me/billing')),
    refetchInterval: (query) => (awaited(query.state.data?.paymentMethod) ? CONFIRMING_MS : false),
  });
  const setup = useKeyedMutation({
    mutationFn: (_: void, key) =>
      unwrap(
        api.POST('/v1/companies/me/billing/setup', {
          params: { header: { 'Idempotency-Key': key } },
        }),
      ),
    onSuccess: (session) => window.location.assign(session.url),
  });
  const data = billing.data;
  const card = data?.paymentMethod;
  return (
    <Page title="Billing">
      {billing.isPending && <Loading label="Loading your billing" />}
      {data ? (
        <RefreshFailedAlert error={billing.error} />
      ) : (
        <ErrorAlert error={billing.error} title="Your billing could not be loaded" />
      )}
      {data && (
        <Stack gap="lg">
          <CreditHold credit={data.credit} />
          <Card withBorder component="section" aria-labelledby="card-heading">
            <Stack gap="sm">
              <Title order={2} id="card-heading" size="h3">
                Payment method
              </Title>
              {awaited(card) && (
                <Alert color="yellow" title="Stripe is confirming your card" role="status">
                  <Text size="sm">
                    It shows here as soon as Stripe tells us, usually in seconds.
                    {card && ' Until then invoices are charged to the card below.'}
                  </Text>
                </Alert>
              )}
              {back === 'cancelled' && !card && (
                <Alert color="yellow" title="No card saved" role="status">
                  <Text size="sm">You left Stripe before saving a card.</Text>
                </Alert>
              )}
              {card ? (
                <Text>
                  <strong>
                    {card.brand.charAt(0).toUpperCase() + card.brand.slice(1)} ending {card.last4}
                  </strong>
                  , expires {String(card.expMonth).padStart(2, '0')}/{card.expYear}. Invoices are
                  charged to it.
                </Text>
              ) : (
                <Text size="sm">No card yet: invoices cannot be charged until you save one.</Text>
              )}
              <Button
                w="fit-content"
                variant={card ? 'default' : 'filled'}
                loading={setup.isPending || setup.isSuccess}
                onClick={() => setup.mutate()}
              >
                {card ? 'Replace the card with Stripe' : 'Save a card with Stripe'}
              </Button>
              <RetryingNote retrying={setup.retrying} />
              <ErrorAlert error={setup.error} title="Could not open Stripe" />
            </Stack>
          </Card>
          <Stack component="section" aria-labelledby="owed-heading" gap="xs">
            <Title order={2} id="owed-heading" size="h3">
              Outstanding
            </Title>
            {data.outstanding.length === 0 && data.writtenOff.length === 0 && (
              <Text size="sm">Nothing is owed.</Text>
            )}
            {data.outstanding.map((o) => (
              <Text key={o.currency}>
                {o.amountMinor > 0
                  ? // Resolved tickets, and what a lost dispute took back of a payment (its invoice says so).
                    `${formatMoney(o.amountMinor, o.currency)} owed, not yet paid`
                  : // A credit (reopened tickets credited beyond what was owed): no invoice
                    // is negative, so it comes off the next ones.
                    `${formatMoney(-o.amountMinor, o.currency)} in your favour, net of any unpaid invoice: taken off your next invoice`}
              </Text>
            ))}
            {/* Written off: out of the books' receivable (bad debt), yet still payable and
                holding the company; "Nothing is owed" beside the hold contradicted it. */}
            {data.writtenOff.map((w) => (
              <Text key={w.invoiceId}>
                {formatMoney(w.amountMinor, w.currency)} on invoice {w.number ?? w.invoiceId},
                written off unpaid: still payable
                {w.hostedInvoiceUrl ? (
                  <>
                    {' '}
                    <Anchor
                      href={w.hostedInvoiceUrl}
                      target="_blank"
                      rel="noreferrer"
                      aria-label={`Invoice ${w.number ?? w.invoiceId} at Stripe (opens in a new tab)`}
                    >
                      at Stripe
                    </Anchor>
                  </>
                ) : (
                  ' at Stripe'
                )}
              </Text>
            ))}
          </Stack>
          <InvoicesSection />
          <BillingSettingsForm billing={data} />
        </Stack>
      )}
    </Page>
  );
}

/**
 * What the hold is for, without the way out the API's message ends with ("…: pay it or ask
 * finance to lift the hold"): finance has lifted it already.
 */
const why = (hold: { message: string }) => hold.message.split(': ')[0];

/** Why billing holds the company (no new or larger shifts), or that finance lifted it. */
function CreditHold({ credit }: { credit: Schemas['CreditStandingDto'] }) {
  if (!credit.hold) return null;
  if (!credit.blocked) {
    return (
      <Alert color="yellow" title="Credit hold lifted for now" role="status">
        <Text size="sm">
          Finance lifted the hold until {formatInstant(credit.liftEndsAt!, browserZone())} (“
          {credit.liftReason}”). It comes back then unless this is settled: {why(credit.hold)}.
        </Text>
      </Alert>
    );
  }
  return (
    <Alert color="red" title="Shifts are on hold" role="alert">
      <Text size="sm">
        {credit.hold.message}. Until then you cannot post shifts or add seats; your bot's
        escalations are still taken.
      </Text>
    </Alert>
  );
}

import {
  Alert,
  Button,
  Card,
  Checkbox,
  Group,
  MultiSelect,
  NumberInput,
  Radio,
  Select,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { useKeyedMutation } from '../../api/keyed-mutation';
import { keys } from '../../api/query-keys';
import { ErrorAlert } from '../../ui/error-alert';
import { RetryingNote } from '../../ui/retrying-note';
import { problemOf } from '../../ui/form-errors';
import { languageOptions } from '../../ui/languages';
import {
  amountProblem,
  CURRENCIES,
  formatMoney,
  MAX_AMOUNT_MINOR,
  minorDigits,
  toMinor,
} from '../../ui/money';
import { feeOn, surgeExtraAtTop } from './shift-cost';
import { SURGE_INPUTS, useSurgeFields } from './surge-fields';
import { refresh } from '../../api/refresh';
import { shareOfPercent } from '../../ui/percent';
import { useWindowFields } from './window-fields';

const INPUTS = [
  'title',
  'startsAt',
  'endsAt',
  'seats',
  'requiredSkills',
  'languages',
  'ratePerTicket',
  'routing',
  'offerSeconds',
  'maxAwayMinutes',
  'checkInGraceMinutes',
  'minQuality',
  'earlyAccessHours',
  'earlyAccessMinQuality',
  ...SURGE_INPUTS,
];
const LEVELS = ['1', '2', '3', '4', '5'];

/**
 * Posting a shift: every field says what it does, and the pay line previews what each resolved
 * ticket costs with the platform fee (GET /v1/companies/me/pricing).
 */
export function PostShiftForm() {
  const queryClient = useQueryClient();
  const skills = useQuery({
    queryKey: keys.skills,
    queryFn: () => unwrap(api.GET('/v1/skills')),
    staleTime: 10 * 60_000,
  });
  const pricing = useQuery({
    queryKey: ['company', 'pricing'],
    queryFn: () => unwrap(api.GET('/v1/companies/me/pricing')),
    staleTime: 60 * 60_000,
  });
  const languageData = useMemo(languageOptions, []);
  const [title, setTitle] = useState('');
  const [seats, setSeats] = useState<number | string>(5);
  const [skill, setSkill] = useState<string | null>(null);
  const [minLevel, setMinLevel] = useState<string | null>('2');
  const [languages, setLanguages] = useState<string[]>(['en']);
  const [amount, setAmount] = useState<number | string>('2.50');
  const [currency, setCurrency] = useState<string | null>('EUR');
  const [amountError, setAmountError] = useState<string | null>(null);
  const [routing, setRouting] = useState<'pull' | 'push'>('pull');
  const [offerSeconds, setOfferSeconds] = useState<number | string>(30);
  const [maxAway, setMaxAway] = useState<number | string>('');
  const [grace, setGrace] = useState<number | string>(10);
  const [certified, setCertified] = useState(false);
  // Quality gates, in percent of the 0–1 score (docs/quality.md); empty: none.
  const [minQuality, setMinQuality] = useState<number | string>('');
  const [earlyHours, setEarlyHours] = useState<number | string>('');
  const [earlyQuality, setEarlyQuality] = useState<number | string>('');
  // Early access takes both or neither: the one missing is said under it (the API said
  // "earlyAccessMinQuality is required with earlyAccessHours").
  const [earlyMissing, setEarlyMissing] = useState<'hours' | 'quality' | null>(null);
  const [posted, setPosted] = useState<string | null>(null);

  const cur = currency ?? 'EUR';
  const rateMinor = toMinor(amount, cur);
  const surge = useSurgeFields(null, cur);
  const when = useWindowFields(null);
  const post = useKeyedMutation({
    mutationFn: (body: Schemas['CreateShiftDto'], key) =>
      unwrap(api.POST('/v1/shifts', { params: { header: { 'Idempotency-Key': key } }, body })),
    onSuccess: (shift) => {
      notifications.show({ color: 'green', message: `Shift posted: ${shift.title ?? 'Shift'}` });
      void refresh(queryClient, keys.companyShifts);
      // Its title and time go, the rest stays for the next shift: a second press of the same
      // form (the toast gone, nothing else changed) posted the shift twice.
      setPosted(shift.title ?? 'Shift');
      setTitle('');
      when.clear();
    },
    // Never answered, it may have been posted: the list shows it if it was.
    onError: () => void refresh(queryClient, keys.companyShifts),
  });
  const errors = problemOf(post.error, INPUTS);
  const submit = () =>
    post.mutate({
      ...(title.trim() && { title: title.trim() }),
      // Both, always (there was no window before): each checked as typed first.
      startsAt: '',
      endsAt: '',
      ...when.changed(),
      seats: Number(seats),
      requiredSkills: skill ? [{ skill, minLevel: Number(minLevel) }] : [],
      languages,
      // An empty pay never gets here (the submit handler says so under the field first).
      ratePerTicket: { amountMinor: rateMinor ?? 0, currency: cur },
      routing,
      ...(routing === 'push' && { offerSeconds: Number(offerSeconds) }),
      ...(maxAway !== '' && { maxAwayMinutes: Number(maxAway) }),
      checkInGraceMinutes: Number(grace),
      requiresCertification: certified,
      ...(minQuality !== '' && { minQuality: shareOfPercent(minQuality) }),
      ...(earlyHours !== '' && { earlyAccessHours: Number(earlyHours) }),
      ...(earlyQuality !== '' && { earlyAccessMinQuality: shareOfPercent(earlyQuality) }),
      ...(surge.body() && { surge: surge.body()! }),
    });
  const bps = pricing.data?.platformFeeBps;

  return (
    <Card withBorder component="section" aria-labelledby="post-heading">
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          // Said in the form's words before sending (the API would name `amountMinor`).
          const payProblem =
            String(amount).trim() === ''
              ? 'Enter the pay per resolved ticket'
              : amountProblem(String(amount), cur, MAX_AMOUNT_MINOR);
          setAmountError(payProblem);
          const windowReadable = when.check();
          const surgeReadable = surge.check();
          const missing =
            earlyHours !== '' && earlyQuality === ''
              ? 'quality'
              : earlyHours === '' && earlyQuality !== ''
                ? 'hours'
                : null;
          setEarlyMissing(missing);
          if (payProblem === null && surgeReadable && windowReadable && missing === null) submit();
        }}
      >
        <Stack>
          <Title order={2} id="post-heading" size="h3">
            Post a shift
          </Title>
          <TextInput
            label="Title"
            description="What agents see first, e.g. “Weekend refunds cover”"
            maxLength={200}
            value={title}
            onChange={(e) => setTitle(e.currentTarget.value)}
            error={errors?.field('title')}
          />
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            {when.fields(errors)}
            <NumberInput
              label="Seats"
              description="Agents working at once (1–500)"
              min={1}
              max={500}
              allowDecimal={false}
              value={seats}
              onChange={setSeats}
              error={errors?.field('seats')}
            />
          </SimpleGrid>
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <Select
              label="Required skill"
              description={
                // Said, not an empty list: posted without one, any agent may claim a seat.
                skills.isError
                  ? 'The skills could not be loaded: reload the page to choose one'
                  : 'Agents need it at the level or above'
              }
              searchable
              data={(skills.data ?? []).map((s) => ({ value: s.code, label: s.name }))}
              value={skill}
              onChange={setSkill}
              error={errors?.field('requiredSkills')}
            />
            <Select
              label="Minimum level"
              data={LEVELS}
              value={minLevel}
              onChange={setMinLevel}
              // Picking the chosen level again would empty it, and level 1 would be posted.
              allowDeselect={false}
            />
            <MultiSelect
              label="Languages"
              description="Agents must speak every one"
              searchable
              data={languageData}
              value={languages}
              onChange={setLanguages}
              error={errors?.field('languages')}
            />
          </SimpleGrid>
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <NumberInput
              label="Pay per resolved ticket"
              description="What the agent earns for each ticket resolved"
              decimalScale={minorDigits(cur)}
              min={0}
              allowNegative={false}
              value={amount}
              onChange={(value) => {
                setAmount(value);
                setAmountError(null);
              }}
              error={amountError ?? errors?.field('ratePerTicket')}
            />
            <Select
              label="Currency"
              data={CURRENCIES}
              searchable
              value={currency}
              onChange={(next) => {
                setCurrency(next);
                // An amount the new currency cannot hold (2.50 in JPY) goes: the field would
                // show it rounded while the form could not read it.
                if (next && amountProblem(String(amount), next) !== null) setAmount('');
              }}
              allowDeselect={false}
            />
            <NumberInput
              label="Check-in grace (minutes)"
              description="After the start, an agent not checked in is a no-show (2–120)"
              min={2}
              max={120}
              allowDecimal={false}
              value={grace}
              onChange={setGrace}
              error={errors?.field('checkInGraceMinutes')}
            />
          </SimpleGrid>
          <Text size="sm" role="status" aria-live="polite">
            {rateMinor !== null && bps !== undefined
              ? `Each resolved ticket costs you ${formatMoney(rateMinor + feeOn(rateMinor, bps), cur)}: ${formatMoney(rateMinor, cur)} to the agent and ${formatMoney(feeOn(rateMinor, bps), cur)} platform fee (${bps / 100} %).` +
                surgeCost(rateMinor, bps, cur, surge.body())
              : pricing.isError
                ? 'The platform fee could not be read, so the cost with it is not shown.'
                : 'Enter the pay to see what each resolved ticket costs.'}
          </Text>
          {/* Radios, not a segmented control: the two choices wrap on a phone. */}
          <Radio.Group
            label="How agents get tickets"
            value={routing}
            onChange={(v) => setRouting(v as 'pull' | 'push')}
          >
            <Group mt={4}>
              <Radio value="pull" label="Agents take the next ticket" />
              <Radio value="push" label="Handoff offers tickets to agents" />
            </Group>
          </Radio.Group>
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            {routing === 'push' && (
              <NumberInput
                label="Offer time (seconds)"
                description="How long an offer waits for its agent (10–120)"
                min={10}
                max={120}
                allowDecimal={false}
                value={offerSeconds}
                onChange={setOfferSeconds}
                error={errors?.field('offerSeconds')}
              />
            )}
            <NumberInput
              label="Break allowance (minutes)"
              description="Time away per seat (up to 720); more counts against reliability. Empty: no cap"
              min={0}
              max={720}
              allowDecimal={false}
              value={maxAway}
              onChange={setMaxAway}
              error={errors?.field('maxAwayMinutes')}
            />
          </SimpleGrid>
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <NumberInput
              label="Minimum quality score (%)"
              description="Agents below it cannot take a seat. Empty: any"
              min={0}
              max={100}
              decimalScale={2}
              value={minQuality}
              onChange={setMinQuality}
              error={errors?.field('minQuality')}
            />
            <NumberInput
              label="Early access (hours)"
              description="For this long after posting, only the score below may claim"
              min={1}
              max={168}
              allowDecimal={false}
              value={earlyHours}
              onChange={(value) => {
                setEarlyHours(value);
                setEarlyMissing(null);
              }}
              error={
                earlyMissing === 'hours'
                  ? 'Enter how long early access lasts, or empty its score'
                  : errors?.field('earlyAccessHours')
              }
            />
            <NumberInput
              label="Early access score (%)"
              description="With early access: the score it needs"
              min={0}
              max={100}
              decimalScale={2}
              value={earlyQuality}
              onChange={(value) => {
                setEarlyQuality(value);
                setEarlyMissing(null);
              }}
              error={
                earlyMissing === 'quality'
                  ? 'Enter the score early access needs, or empty its hours'
                  : errors?.field('earlyAccessMinQuality')
              }
            />
          </SimpleGrid>
          {surge.fields(errors)}
          <Checkbox
            label="Only agents we have certified"
            checked={certified}
            onChange={(e) => setCertified(e.currentTarget.checked)}
          />
          <RetryingNote retrying={post.retrying} />
          <ErrorAlert error={post.error} inputs={INPUTS} title="Shift not posted" />
          {/* A live region there from the start: one added with its text is often not read. */}
          <div role="status">
            {posted !== null && !post.isPending && !post.error && (
              <Alert color="green" role="note" title={`Posted: ${posted}`}>
                It is in your shifts. The form keeps the rest for your next shift: give that one a
                title and a time.
              </Alert>
            )}
          </div>
          <Group>
            <Button type="submit" loading={post.isPending}>
              Post shift
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

/**
 * With surge on, what a ticket can cost at most and what the extras can add up to, fee
 * included: billing charges the fee on the extra too (a budget of €50 at 15 % is up to €57.50),
 * and the line said only the plain rate.
 */
function surgeCost(
  rateMinor: number,
  bps: number,
  currency: string,
  surge: Schemas['SurgeDto'] | null,
): string {
  if (!surge || surge.budgetMinor <= 0 || !(surge.maxMultiplierBps > 10_000)) return '';
  const top = rateMinor + surgeExtraAtTop(rateMinor, surge.maxMultiplierBps, surge.budgetMinor);
  return (
    ` With surge, up to ${formatMoney(top + feeOn(top, bps), currency)} each ` +
    `(${formatMoney(top, currency)} to the agent), the extras at most ` +
    `${formatMoney(surge.budgetMinor, currency)} in all plus the fee on them (about ` +
    `${formatMoney(surge.budgetMinor + feeOn(surge.budgetMinor, bps), currency)}: the fee is ` +
    'rounded on each ticket).'
  );
}

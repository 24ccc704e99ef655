import { Button, Group, Radio, Select, Stack, TextInput, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ErrorAlert } from '../../ui/error-alert';
import { problemOf } from '../../ui/form-errors';
import { timeZones } from '../../ui/times';
import { refresh } from '../../api/refresh';

const INPUTS = ['timeZone', 'billingPeriod', 'billingEmail'];
type Period = NonNullable<Schemas['UpdateCompanyDto']['billingPeriod']>;

/** When the company's billing periods close, how often it is invoiced, where invoices go. */
export function BillingSettingsForm({ billing }: { billing: Schemas['BillingDto'] }) {
  const queryClient = useQueryClient();
  const zones = useMemo(() => timeZones(billing.timeZone), [billing.timeZone]);
  const [timeZone, setTimeZone] = useState<string | null>(billing.timeZone);
  const [period, setPeriod] = useState(billing.billingPeriod);
  const [email, setEmail] = useState(billing.billingEmail ?? '');
  const body: Schemas['UpdateCompanyDto'] = {
    timeZone: timeZone ?? '',
    billingPeriod: period as Period,
    billingEmail: email.trim() === '' ? null : email,
  };
  const save = useMutation({
    mutationFn: (sent: Schemas['UpdateCompanyDto']) =>
      unwrap(api.PATCH('/v1/companies/me', { body: sent })),
    onSuccess: () => void refresh(queryClient, keys.billing),
  });
  // "Saved." only while the form still shows what was saved: edited after, it is not.
  const saved =
    save.isSuccess && !save.isPending && JSON.stringify(save.variables) === JSON.stringify(body);
  const errors = problemOf(save.error, INPUTS);
  return (
    <form
      noValidate
      aria-labelledby="settings-heading"
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate(body);
      }}
    >
      <Stack gap="sm" maw={520}>
        <Title order={2} id="settings-heading" size="h3">
          Invoicing
        </Title>
        <Select
          label="Time zone"
          description="Each billing period closes at midnight here"
          data={zones}
          searchable
          limit={50}
          value={timeZone}
          onChange={setTimeZone}
          error={errors?.field('timeZone')}
        />
        <Radio.Group
          label="Invoiced"
          value={period}
          onChange={setPeriod}
          error={errors?.field('billingPeriod')}
        >
          <Group mt={4}>
            <Radio value="weekly" label="Every week (from Monday)" />
            <Radio value="monthly" label="Every month" />
          </Group>
        </Radio.Group>
        <TextInput
          label="Billing email"
          description="Where invoices go; empty: to the admin who signed up"
          type="email"
          value={email}
          onChange={(event) => setEmail(event.currentTarget.value)}
          error={errors?.field('billingEmail')}
        />
        <Group>
          <Button type="submit" loading={save.isPending}>
            Save invoicing
          </Button>
          {saved && <span role="status">Saved.</span>}
        </Group>
        <ErrorAlert error={save.error} inputs={INPUTS} title="Not saved" />
      </Stack>
    </form>
  );
}

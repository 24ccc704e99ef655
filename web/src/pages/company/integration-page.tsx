import { Stack } from '@mantine/core';
import { Page } from '../../ui/page';
import { ApiKeysCard } from './api-keys-card';
import { WebhookCard } from './webhook-card';
import { WebhookDeliveries } from './webhook-deliveries';

/** How the company's bot talks to Handoff: its API keys, and the webhook Handoff calls back. */
export default function IntegrationPage() {
  return (
    <Page title="Bot and webhook">
      <Stack gap="lg">
        <ApiKeysCard />
        <WebhookCard />
        <WebhookDeliveries />
      </Stack>
    </Page>
  );
}

import { Stack } from '@mantine/core';
import { Page } from '../../ui/page';
import { ApiKeysCard } from './api-keys-card';
import { HandoffQualityCard } from './handoff-quality-card';
import { WebhookCard } from './webhook-card';
import { WebhookDeliveries } from './webhook-deliveries';

/**
 * How the company's bot talks to Handoff: its API keys, the webhook Handoff calls back, and how
 * well it hands customers over.
 */
export default function IntegrationPage() {
  return (
    <Page title="Bot and webhook">
      <Stack gap="lg">
        <ApiKeysCard />
        <WebhookCard />
        <WebhookDeliveries />
        <HandoffQualityCard />
      </Stack>
    </Page>
  );
}

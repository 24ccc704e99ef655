import { Text } from '@mantine/core';
import { Page } from '../../ui/page';
import { QueueTable } from './queue-table';

/**
 * The live queue: tickets waiting for an agent and those being handled, with their SLA
 * countdowns. Escalations, claims and resolutions arrive through the event stream.
 */
export default function QueuePage() {
  return (
    <Page title="Live queue">
      <Text size="sm">
        Times are in your browser&apos;s zone, {Intl.DateTimeFormat().resolvedOptions().timeZone}.
      </Text>
      <QueueTable status="open" title="Waiting for an agent" empty="No ticket is waiting." />
      <QueueTable status="claimed" title="With an agent" empty="No ticket is being handled." />
    </Page>
  );
}

import { Stack, Tabs, Title } from '@mantine/core';
import type { Schemas } from '../../api/client';
import { ReleaseForm } from './release-form';
import { ResolveForm } from './resolve-form';
import { TransferForm } from './transfer-form';

/** The three ways a ticket leaves the agent: resolved, released, or transferred. */
export function TicketActions({ ticket }: { ticket: Schemas['AgentTicketDto'] }) {
  return (
    <Stack component="section" aria-labelledby="finish-heading" gap="sm">
      <Title order={2} id="finish-heading" size="h3">
        Finish
      </Title>
      {/* Every panel stays mounted (hidden when not chosen): a look at another way out must not
          lose what was typed in this one. */}
      <Tabs defaultValue="resolve">
        <Tabs.List>
          <Tabs.Tab value="resolve">Resolve</Tabs.Tab>
          <Tabs.Tab value="release">Release</Tabs.Tab>
          <Tabs.Tab value="transfer">Transfer</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="resolve" pt="sm">
          <ResolveForm ticketId={ticket.id} />
        </Tabs.Panel>
        <Tabs.Panel value="release" pt="sm">
          <ReleaseForm ticketId={ticket.id} />
        </Tabs.Panel>
        <Tabs.Panel value="transfer" pt="sm">
          <TransferForm ticket={ticket} />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

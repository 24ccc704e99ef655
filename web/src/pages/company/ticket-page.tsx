import { Badge, Grid, Group, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useParams } from 'react-router';
import { api, unwrap, type Schemas } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ErrorAlert, RefreshFailedAlert } from '../../ui/error-alert';
import { Loading } from '../../ui/loading';
import { MessageList } from '../../ui/message-list';
import { Page } from '../../ui/page';
import { useConversation } from '../../ui/use-conversation';
import { browserZone } from '../../ui/times';
import { useNow } from '../../ui/use-now';
import { ClaimHistory } from './claim-history';
import { FeedbackSection } from './feedback-section';
import { ReopenForm } from './reopen-form';
import { SlaBadge } from './sla-badge';

type Message = Schemas['TicketMessageDto'];

const AUTHORS: Record<Message['author'], string> = {
  agent: 'Agent',
  customer: 'Customer',
  bot: 'Bot',
};

/**
 * One of the company's tickets: its state and SLA, who held it (the claim history), the
 * conversation with internal notes, reopening a resolution that was not good enough, and the
 * customer's rating and the company's review of it.
 */
export default function CompanyTicketPage() {
  const { id = '' } = useParams();
  const now = useNow();
  const zone = browserZone();
  const ticket = useQuery({
    queryKey: [...keys.companyTickets, 'one', id],
    queryFn: () => unwrap(api.GET('/v1/tickets/{id}', { params: { path: { id } } })),
  });
  const { query: messages, items, loadingMore } = useConversation(id);

  if (ticket.isPending) return <Loading label="Loading the ticket" />;
  if (!ticket.data) {
    // A page still (its heading, the tab's title), not a bare alert under the last page's title.
    return (
      <Page title="Ticket">
        <ErrorAlert error={ticket.error} title="The ticket could not be loaded" />
      </Page>
    );
  }
  const t = ticket.data;
  // The last resolution's claim: what a reopen and a new review are of.
  const resolvedClaimId = t.claims.findLast((c) => c.status === 'resolved')?.claimId;
  const author = (m: Message) =>
    m.visibility === 'internal' ? 'Internal note' : AUTHORS[m.author];
  return (
    <Page title={t.subject}>
      <RefreshFailedAlert error={ticket.error} />
      <Group gap="xs">
        <Badge variant="light">{t.status}</Badge>
        <Badge variant="outline" color="gray.8">
          {t.effectivePriority}
        </Badge>
        {(t.status === 'open' || t.status === 'claimed') && <SlaBadge ticket={t} now={now} />}
        <Text size="sm">
          Conversation {t.externalId}
          {t.claimedByName ? ` · with ${t.claimedByName}` : ''}
          {t.reopenCount > 0 ? ` · reopened ${t.reopenCount}×` : ''}
        </Text>
      </Group>
      <Grid gap="xl">
        <Grid.Col span={{ base: 12, md: 6 }}>
          <Stack gap="lg">
            <ClaimHistory claims={t.claims} zone={zone} />
            {t.status === 'resolved' && (
              <ReopenForm
                ticketId={t.id}
                claimId={resolvedClaimId}
                until={t.reopenDeadline}
                now={now}
                zone={zone}
              />
            )}
            {/* A withdrawn ticket is final: its feedback only if a resolution was reopened
                before (its review counts still); a paid withdrawal is not one to review. */}
            {t.claims.some(
              (c) => c.status === 'resolved' && (t.status !== 'withdrawn' || c.reopenedAt),
            ) && (
              // A new section for each resolution: a refusal said of the last one goes with it.
              <FeedbackSection
                key={resolvedClaimId}
                ticketId={t.id}
                claims={t.claims}
                withdrawn={t.status === 'withdrawn'}
              />
            )}
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <Stack component="section" aria-labelledby="conversation-heading" gap="sm">
            <Title order={2} id="conversation-heading" size="h3">
              Conversation
            </Title>
            {messages.isPending && <Loading label="Loading the conversation" />}
            <ErrorAlert error={messages.error} title="The conversation could not be loaded" />
            {messages.isSuccess && items.length === 0 && (
              <Text size="sm">No messages since the handoff.</Text>
            )}
            <MessageList
              messages={items}
              zone={zone}
              authorOf={author}
              live={messages.isSuccess && !loadingMore}
            />
            {loadingMore && <Loading label="Loading the newer messages" />}
          </Stack>
        </Grid.Col>
      </Grid>
    </Page>
  );
}

import { Badge, Blockquote, Group, List, Stack, Text, Title } from '@mantine/core';
import type { Schemas } from '../../api/client';
import { languageName } from '../../ui/languages';
import { money } from '../../ui/money';
import { surgeText } from './surge';
import { formatInstant } from '../../ui/times';
import { PriorityBadge } from './priority';
import { useSkillNames } from './use-skill-names';
import { useZone } from './use-profile';

/** Long words (an order reference, a link) break rather than widen the page on a phone. */
const WRAPPED = { whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' } as const;

const ROLE = { customer: 'Customer', bot: 'Bot', system: 'System' } as const;

/** What the agent inherits from the bot: its summary, what it tried, and the transcript. */
export function TicketBrief({ ticket }: { ticket: Schemas['AgentTicketDto'] }) {
  const zone = useZone();
  const skillName = useSkillNames();
  return (
    <Stack gap="md">
      <Group gap="xs">
        <PriorityBadge priority={ticket.effectivePriority} />
        <Badge variant="outline" color="gray.8">
          {languageName(ticket.language)}
        </Badge>
        {ticket.requiredSkills.map((s) => (
          <Badge key={s.skill} variant="outline" color="gray.8">
            {skillName(s.skill)} ≥ {s.minLevel}
          </Badge>
        ))}
      </Group>
      <Text size="sm">
        Pays {money(ticket.pay)}
        {surgeText(ticket.surge, ticket.pay.currency)} when resolved · conversation{' '}
        {ticket.externalId}
        {ticket.customerRef ? ` · customer ${ticket.customerRef}` : ''}
        {ticket.reopenCount > 0 ? ` · reopened ${ticket.reopenCount}×` : ''}
      </Text>
      <Stack component="section" aria-labelledby="summary-heading" gap="xs">
        <Title order={2} id="summary-heading" size="h3">
          The bot&apos;s summary
        </Title>
        <Blockquote p="sm" style={WRAPPED}>
          {ticket.summary}
        </Blockquote>
      </Stack>
      <Stack component="section" aria-labelledby="tried-heading" gap="xs">
        <Title order={2} id="tried-heading" size="h3">
          What the bot tried
        </Title>
        {ticket.botAttempts.length === 0 ? (
          <Text size="sm">The bot did not say.</Text>
        ) : (
          <List size="sm">
            {ticket.botAttempts.map((attempt, i) => (
              <List.Item key={i} style={WRAPPED}>
                {attempt}
              </List.Item>
            ))}
          </List>
        )}
      </Stack>
      <Stack component="section" aria-labelledby="transcript-heading" gap="xs">
        <Title order={2} id="transcript-heading" size="h3">
          Transcript
        </Title>
        <Stack gap={6} component="ol" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
          {ticket.transcript.map((message, i) => (
            <li key={i}>
              <Text size="xs" fw={600}>
                {ROLE[message.role]} · {formatInstant(message.at, zone)}
              </Text>
              <Text size="sm" style={WRAPPED}>
                {message.text}
              </Text>
            </li>
          ))}
        </Stack>
      </Stack>
    </Stack>
  );
}

import { Badge, Group, Text } from '@mantine/core';
import type { Schemas } from '../../api/client';
import { languageName } from '../../ui/languages';
import { money } from '../../ui/money';
import { formatInstant, formatRange } from '../../ui/times';
import { useSkillNames } from './use-skill-names';
import { useZone } from './use-profile';
import { serverNow } from '../../api/server-clock';
import { barPercent } from '../../ui/percent';

/** What an agent weighs about a shift: when, pay, and what it asks for. */
export function ShiftFacts({ shift }: { shift: Schemas['OpenShiftDto'] }) {
  const zone = useZone();
  const skillName = useSkillNames();
  return (
    <>
      <Text size="sm">{formatRange(shift.startsAt, shift.endsAt, zone)}</Text>
      <Text size="sm">
        <strong>{money(shift.ratePerTicket)}</strong> per resolved ticket ·{' '}
        {shift.expectedHourly.amount
          ? `about ${money(shift.expectedHourly.amount)} an hour (an estimate from this company's last ${shift.expectedHourly.agentHours} agent-hours)`
          : 'no history yet for an hourly estimate'}
      </Text>
      {shift.openToAllAt && new Date(shift.openToAllAt).getTime() > serverNow() && (
        <Text size="sm">
          Early access for the best-rated agents until {formatInstant(shift.openToAllAt, zone)}
        </Text>
      )}
      <Group gap={6}>
        {shift.requiredSkills.map((s) => (
          <Badge key={s.skill} variant="outline" color="gray.8">
            {skillName(s.skill)} ≥ {s.minLevel}
          </Badge>
        ))}
        {shift.languages.map((code) => (
          <Badge key={code} variant="outline" color="gray.8">
            {languageName(code)}
          </Badge>
        ))}
        {shift.requiresCertification && (
          <Badge variant="outline" color="gray.8">
            Certification required
          </Badge>
        )}
        {shift.minQuality !== null && (
          <Badge variant="outline" color="gray.8">
            Quality ≥ {barPercent(shift.minQuality)}
          </Badge>
        )}
      </Group>
    </>
  );
}

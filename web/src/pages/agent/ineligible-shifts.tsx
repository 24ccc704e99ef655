import { Card, Stack, Text, Title } from '@mantine/core';
import { useId } from 'react';
import type { Schemas } from '../../api/client';
import { Reasons } from './reasons';
import { ShiftFacts } from './shift-facts';

type IneligibleShift = Schemas['IneligibleShiftDto'];

/**
 * The next 7 days' shifts the agent cannot take, and why: what to learn or add to the profile.
 * They come with the first page of GET /v1/shifts/open?include=ineligible (not for a suspended
 * agent, whose hints say so instead).
 */
export function IneligibleShifts({ shifts }: { shifts: IneligibleShift[] }) {
  return (
    <Stack component="section" aria-labelledby="ineligible-heading">
      <Title order={2} id="ineligible-heading">
        Shifts you cannot take yet
      </Title>
      {shifts.length === 0 ? (
        <Text>None in the next 7 days: you qualify for every open shift.</Text>
      ) : (
        shifts.map((shift) => <IneligibleCard key={shift.id} shift={shift} />)
      )}
    </Stack>
  );
}

function IneligibleCard({ shift }: { shift: IneligibleShift }) {
  const headingId = useId();
  return (
    <Card withBorder component="article" aria-labelledby={headingId}>
      <Stack gap="xs">
        <Title order={3} size="h4" id={headingId}>
          {shift.title ?? 'Shift'} · {shift.companyName}
        </Title>
        <ShiftFacts shift={shift} />
        <Reasons reasons={shift.reasons} label="Why you cannot take this shift" />
      </Stack>
    </Card>
  );
}

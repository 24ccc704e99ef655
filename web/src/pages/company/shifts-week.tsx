import { Badge, Button, Card, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ReadErrorAlert } from '../../ui/error-alert';
import { Loading } from '../../ui/loading';
import { browserZone, inRepeatedHour, LOCALE, offset } from '../../ui/times';

/** Monday 00:00 of the week holding `date`, in the browser's zone, plus `weeks` weeks. */
function mondayOf(date: Date, weeks = 0): Date {
  const d = new Date(date.getFullYear(), date.getMonth(), date.getDate());
  const sinceMonday = (d.getDay() + 6) % 7;
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() - sinceMonday + weeks * 7);
}

const dayName = new Intl.DateTimeFormat(LOCALE, {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
});
const hourMinute = new Intl.DateTimeFormat(LOCALE, { hour: '2-digit', minute: '2-digit' });

/**
 * A week of shifts, Monday to Sunday in the browser's zone (named), each day with the shifts starting
 * on it (time, title, seats filled, state); the previous and next weeks a click away.
 */
export function ShiftsWeek() {
  const [weeks, setWeeks] = useState(0);
  const monday = mondayOf(new Date(), weeks);
  // Seven calendar days (a week with a DST change is not 7 × 24 h).
  const days = Array.from(
    { length: 7 },
    (_, i) => new Date(monday.getFullYear(), monday.getMonth(), monday.getDate() + i),
  );
  const end = new Date(monday.getFullYear(), monday.getMonth(), monday.getDate() + 7);
  const shifts = useQuery({
    queryKey: [...keys.companyShifts, 'week', monday.toISOString()],
    // Every shift of the week, page after page: a busy week has more than one page holds.
    queryFn: async () => {
      const all: Schemas['ShiftDto'][] = [];
      let cursor: string | undefined;
      do {
        const page = await unwrap(
          api.GET('/v1/shifts', {
            params: {
              query: { from: monday.toISOString(), to: end.toISOString(), limit: 100, cursor },
            },
          }),
        );
        all.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return all;
    },
  });
  const onDay = (day: Date) => {
    const next = new Date(day.getFullYear(), day.getMonth(), day.getDate() + 1);
    return (shifts.data ?? []).filter((s) => {
      const t = new Date(s.startsAt).getTime();
      return t >= day.getTime() && t < next.getTime();
    });
  };
  return (
    <Stack gap="sm">
      <Group justify="space-between">
        <Text fw={600}>
          Week of {dayName.format(monday)}, times in {browserZone()}
        </Text>
        <Group gap="xs">
          <Button variant="default" size="xs" onClick={() => setWeeks((w) => w - 1)}>
            Previous week
          </Button>
          {/* Not disabled on this week: a disabled button drops the focus that pressed it. */}
          <Button variant="default" size="xs" onClick={() => setWeeks(0)}>
            This week
          </Button>
          <Button variant="default" size="xs" onClick={() => setWeeks((w) => w + 1)}>
            Next week
          </Button>
        </Group>
      </Group>
      {shifts.isPending && <Loading label="Loading the week" />}
      <ReadErrorAlert query={shifts} title="The week could not be loaded" />
      {shifts.data && (
        <SimpleGrid cols={{ base: 1, md: 7 }} spacing="xs">
          {days.map((day) => (
            <Stack
              key={day.toISOString()}
              gap={6}
              component="section"
              aria-label={dayName.format(day)}
            >
              <Title order={3} size="h6">
                {dayName.format(day)}
              </Title>
              {onDay(day).length === 0 && (
                <Text size="xs" c="dimmed">
                  No shift
                </Text>
              )}
              {onDay(day).map((shift) => (
                <WeekShift key={shift.id} shift={shift} />
              ))}
            </Stack>
          ))}
        </SimpleGrid>
      )}
    </Stack>
  );
}

function WeekShift({ shift }: { shift: Schemas['ShiftDto'] }) {
  const cancelled = shift.status === 'cancelled';
  const [start, end] = [new Date(shift.startsAt), new Date(shift.endsAt)];
  // Across a clock change, or inside the hour it repeats, each end names its offset: 00:15–01:00
  // UTC on the night the clocks go back in Berlin read "02:15–02:00".
  const [from, to] = [offset(browserZone(), start), offset(browserZone(), end)];
  const across =
    from !== to || inRepeatedHour(browserZone(), start) || inRepeatedHour(browserZone(), end);
  return (
    <Card withBorder padding="xs">
      <Text size="xs" fw={600}>
        {hourMinute.format(start)}
        {across && ` (${from})`}–{hourMinute.format(end)}
        {across && ` (${to})`}
        {/* Past midnight: "22:00–02:00" read as a shift ending before it began. */}
        {start.toDateString() !== end.toDateString() && ' next day'}
      </Text>
      <Text size="xs" td={cancelled ? 'line-through' : undefined}>
        {shift.title ?? 'Shift'}
      </Text>
      <Badge
        size="xs"
        variant="light"
        color={cancelled ? 'gray' : shift.seatsLeft === 0 ? 'green' : 'yellow'}
      >
        {cancelled ? 'cancelled' : `${shift.seatsTaken}/${shift.seats} seats`}
      </Badge>
    </Card>
  );
}

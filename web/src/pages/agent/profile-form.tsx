import {
  Button,
  Card,
  Group,
  MultiSelect,
  NumberInput,
  Select,
  Stack,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { forTheAsker } from '../../api/keyed-call';
import { api, unwrap, type Schemas } from '../../api/client';
import { keys } from '../../api/query-keys';
import { ErrorAlert } from '../../ui/error-alert';
import { problemOf } from '../../ui/form-errors';
import { languageOptions } from '../../ui/languages';
import { timeZones } from '../../ui/times';
import { refresh } from '../../api/refresh';
import { keepFocusNear } from '../../ui/use-dialog';

const INPUTS = ['displayName', 'timeZone', 'languages', 'maxConcurrentTickets'];

/** Display name, zone, languages, capacity: replaced as a whole (PUT), as the form shows it. */
export function ProfileForm({ profile }: { profile: Schemas['AgentProfileDto'] }) {
  const queryClient = useQueryClient();
  const [displayName, setDisplayName] = useState(profile.displayName);
  const [timeZone, setTimeZone] = useState<string | null>(profile.timeZone);
  const [languages, setLanguages] = useState(profile.languages);
  const [max, setMax] = useState<number | string>(profile.maxConcurrentTickets);
  const zones = useMemo(() => timeZones(profile.timeZone), [profile.timeZone]);
  const languageData = useMemo(languageOptions, []);

  const save = useMutation({
    // (For the user who saved it: written into the cache the next user would read.)
    mutationFn: (body: Schemas['UpdateAgentProfileDto']) =>
      forTheAsker(() => unwrap(api.PUT('/v1/agents/me/profile', { body }))),
    onSuccess: (saved) => {
      queryClient.setQueryData(keys.profile, saved);
      // Languages change which shifts and tickets match.
      void refresh(queryClient, keys.openShifts);
      notifications.show({ color: 'green', message: 'Profile saved' });
    },
  });
  const errors = problemOf(save.error, INPUTS);

  return (
    <Card withBorder component="section" aria-labelledby="profile-heading">
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          // Saved, the form is remounted with what the API holds (its key): the focus goes to
          // the new Save button rather than to the page's start.
          const submit = document.getElementById('save-profile');
          if (submit) keepFocusNear(submit);
          save.mutate({
            displayName,
            timeZone: timeZone ?? '',
            languages,
            // An empty field is sent as is (not a made-up number): the API names the problem.
            maxConcurrentTickets: typeof max === 'number' ? max : Number.NaN,
          });
        }}
      >
        <Stack>
          <Title order={2} id="profile-heading" size="h3">
            About you
          </Title>
          <TextInput
            label="Display name"
            description="Companies see this name on their shifts and tickets"
            value={displayName}
            onChange={(event) => setDisplayName(event.currentTarget.value)}
            error={errors?.field('displayName')}
          />
          <Select
            label="Time zone"
            description="Every time in the console is shown in this zone"
            data={zones}
            searchable
            limit={50}
            value={timeZone}
            onChange={setTimeZone}
            error={errors?.field('timeZone')}
          />
          <MultiSelect
            label="Languages"
            description="Shifts and tickets need you to speak their languages"
            data={languageData}
            searchable
            limit={50}
            value={languages}
            onChange={setLanguages}
            error={errors?.field('languages')}
          />
          <NumberInput
            label="Maximum tickets at once"
            min={1}
            max={10}
            allowDecimal={false}
            value={max}
            onChange={setMax}
            error={errors?.field('maxConcurrentTickets')}
          />
          <ErrorAlert error={save.error} inputs={INPUTS} title="Profile not saved" />
          <Group>
            <Button type="submit" id="save-profile" loading={save.isPending}>
              Save profile
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

import { Select } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { keys } from '../../api/query-keys';
import { problemOf } from '../../ui/form-errors';

interface Props {
  value: string | null;
  onChange: (agentId: string | null) => void;
  error?: string;
}

/** Finds an agent by name or the start of the email (GET /v1/agents), as one types. */
export function AgentPicker({ value, onChange, error }: Props) {
  const [search, setSearch] = useState('');
  // The chosen agent stays an option while the search shows others (or nothing).
  const [picked, setPicked] = useState<{ value: string; label: string } | null>(null);
  // Choosing writes the option's label into the box: no search of its own (it cost a call, and
  // a long name and email went past the API's 100 characters: "Search failed" under a choice).
  const typed = picked !== null && search === picked.label ? '' : search.trim();
  // Cut by characters, as the API counts them (half an emoji made the address unreadable).
  const [term] = useDebouncedValue(Array.from(typed).slice(0, 100).join(''), 250);
  const found = useQuery({
    queryKey: [...keys.agentDirectory, term],
    queryFn: () => unwrap(api.GET('/v1/agents', { params: { query: { q: term, limit: 20 } } })),
    enabled: term.length > 0,
  });
  const options = (found.data?.items ?? []).map((a) => ({
    value: a.agentId,
    label: `${a.displayName} (${a.email ?? a.agentId})`,
  }));
  const data =
    picked && picked.value === value && !options.some((o) => o.value === picked.value)
      ? [picked, ...options]
      : options;
  return (
    <Select
      label="Agent"
      description="Type a name or the start of an email"
      searchable
      searchValue={search}
      onSearchChange={setSearch}
      // The API already filtered: every answer it gives is an option.
      filter={({ options }) => options}
      data={data}
      value={value}
      onChange={(agentId, option) => {
        setPicked(agentId ? option : null);
        onChange(agentId);
      }}
      // A failed search is said as such: shown as "No agent found", a 429 or a 5xx sent finance
      // looking for an agent who is there.
      nothingFoundMessage={term && !found.isFetching && !found.error ? 'No agent found' : undefined}
      // The search's failure first: it is news, where the form's error is from the last send.
      error={found.error ? `Search failed: ${problemOf(found.error)?.message}` : error}
    />
  );
}

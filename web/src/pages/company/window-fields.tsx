import { TextInput } from '@mantine/core';
import { useState, type ReactNode } from 'react';
import type { Problem } from '../../ui/form-errors';
import { browserZone, localInputOf, localTimeProblem, localToInstant } from '../../ui/times';

/**
 * A shift's window as two `datetime-local` fields in the browser's zone (named), for the post
 * and change forms: `check()` says under a field a time the clocks skip (02:30 on a
 * spring-forward night, which the browser moved by an hour without a word) or repeat (02:30 on
 * a fall-back night, of which it took the first) before anything is sent; `changed()` gives the instants edited since `initial` (all of them when there was none).
 */
export function useWindowFields(
  initial: { startsAt: string; endsAt: string } | null,
  startNote = '',
): {
  check: () => boolean;
  changed: () => { startsAt?: string; endsAt?: string };
  /** Empties both fields (a shift just posted: the next one needs its own time). */
  clear: () => void;
  fields: (errors: Problem | null) => ReactNode;
} {
  // Minutes as the fields show them: an edge with seconds is sent only when edited.
  const [first] = useState(() => ({
    startsAt: initial ? localInputOf(new Date(initial.startsAt)) : '',
    endsAt: initial ? localInputOf(new Date(initial.endsAt)) : '',
  }));
  const [typed, setTyped] = useState(first);
  const [missing, setMissing] = useState<{ startsAt: string | null; endsAt: string | null }>({
    startsAt: null,
    endsAt: null,
  });
  // An edge not edited goes unsent, so is not checked: a shift stored at the second 02:30 of a
  // fall-back night shows as "02:30" like the first, and its title could not be changed.
  const problem = (name: 'startsAt' | 'endsAt') =>
    initial !== null && typed[name] === first[name]
      ? null
      : typed[name] === ''
        ? `Enter when the shift ${name === 'startsAt' ? 'starts' : 'ends'}`
        : localTimeProblem(typed[name]);
  const check = () => {
    const found = { startsAt: problem('startsAt'), endsAt: problem('endsAt') };
    setMissing(found);
    return found.startsAt === null && found.endsAt === null;
  };
  const changed = () => ({
    ...(initial === null || typed.startsAt !== first.startsAt
      ? { startsAt: localToInstant(typed.startsAt) }
      : {}),
    ...(initial === null || typed.endsAt !== first.endsAt
      ? { endsAt: localToInstant(typed.endsAt) }
      : {}),
  });
  const field =
    (name: 'startsAt' | 'endsAt', label: string, description: string) =>
    (errors: Problem | null) => (
      <TextInput
        type="datetime-local"
        label={label}
        description={description}
        value={typed[name]}
        onChange={(event) => {
          const value = event.currentTarget.value;
          setTyped((was) => ({ ...was, [name]: value }));
          setMissing((was) => ({ ...was, [name]: null }));
        }}
        error={missing[name] ?? errors?.field(name)}
      />
    );
  const starts = field('startsAt', 'Starts', `Your browser's time, ${browserZone()}${startNote}`);
  const ends = field('endsAt', 'Ends', '15 minutes to 12 hours after the start');
  const clear = () => {
    setTyped({ startsAt: '', endsAt: '' });
    setMissing({ startsAt: null, endsAt: null });
  };
  return {
    check,
    changed,
    clear,
    fields: (errors) => (
      <>
        {starts(errors)}
        {ends(errors)}
      </>
    ),
  };
}

import { Text, VisuallyHidden } from '@mantine/core';

/** useKeyedMutation's `retrying`. */
export type Retrying = false | 'now' | 'paused';

const SAID: Record<'now' | 'paused', string> = {
  now: 'No answer yet: sending it again…',
  paused: 'No answer yet: it is sent again once this browser is back online.',
};

/**
 * While a write whose answer was lost is sent again by itself (useKeyedMutation): the button
 * only spun for those seconds, and a user on a bad connection could not tell a retry from a hang.
 * The live region is always there, filled when it has something to say: one added with its
 * text is often not read out. (Out of the flow: it adds no gap to the stack around it.)
 */
export function RetryingNote({ retrying }: { retrying: Retrying }) {
  return (
    <>
      <VisuallyHidden role="status">{retrying ? SAID[retrying] : ''}</VisuallyHidden>
      {retrying && (
        <Text size="sm" c="dimmed" aria-hidden>
          {SAID[retrying]}
        </Text>
      )}
    </>
  );
}

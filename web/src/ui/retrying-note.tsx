import { Text } from '@mantine/core';

/**
 * While a write whose answer was lost is sent again by itself (useKeyedMutation): the button
 * only spun for those seconds, and a user on a bad connection could not tell a retry from a hang.
 */
export function RetryingNote({ retrying }: { retrying: boolean }) {
  if (!retrying) return null;
  return (
    <Text size="sm" c="dimmed" role="status">
      No answer yet: sending it again…
    </Text>
  );
}

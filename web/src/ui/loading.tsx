import { Center, Loader } from '@mantine/core';

/** While a page or its data loads (named, so a screen reader says what is happening). */
export function Loading({ label = 'Loading' }: { label?: string }) {
  return (
    <Center py="xl">
      <Loader aria-label={label} role="status" />
    </Center>
  );
}

import { Stack, Title } from '@mantine/core';
import { useEffect, type ReactNode } from 'react';

interface Props {
  title: string;
  children: ReactNode;
}

/** A page: its h1 (sections under it use h2, cards h3), and the tab's title to match. */
export function Page({ title, children }: Props) {
  useEffect(() => {
    document.title = `${title} · Handoff`;
  }, [title]);
  return (
    <Stack gap="lg">
      <Title order={1}>{title}</Title>
      {children}
    </Stack>
  );
}

import { Stack, Title } from '@mantine/core';
import { useEffect, useRef, type ReactNode } from 'react';
import { setPageTitle } from './tab-title';

interface Props {
  title: string;
  children: ReactNode;
}

/**
 * A page: its h1 (sections under it use h2, cards h3), and the tab's title to match. A page
 * reached by an action whose button went with the page before (Take next ticket, Accept, a
 * resolve) would leave focus on nothing, and keyboard and screen-reader users back at the top:
 * its heading takes the focus then, and is read out. Focus that is somewhere (a field's
 * autofocus) stays.
 */
/** Whether a page was shown already: the first (a fresh load) leaves focus where it is. */
let shownBefore = false;

export function Page({ title, children }: Props) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    setPageTitle(title);
  }, [title]);
  useEffect(() => {
    const first = !shownBefore;
    shownBefore = true;
    const active = document.activeElement;
    if (!first && (active === null || active === document.body)) heading.current?.focus();
  }, []);
  return (
    <Stack gap="lg">
      {/* A title may be a customer's subject: one long word (an order number, a link) wraps. */}
      <Title
        order={1}
        ref={heading}
        tabIndex={-1}
        style={{ outline: 'none', overflowWrap: 'anywhere' }}
      >
        {title}
      </Title>
      {children}
    </Stack>
  );
}

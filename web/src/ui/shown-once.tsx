import { Alert, Button, Code, Group, Stack, Text } from '@mantine/core';
import { useClipboard } from '@mantine/hooks';
import { useEffect, useRef } from 'react';

interface Props {
  title: string;
  /** The secret's name for screen readers ("The new API key"). */
  label: string;
  value: string;
}

/**
 * A secret the API shows only once (an API key, a signing secret), with a copy button. Where
 * the browser gives no clipboard (a console served over plain http on a local network), the
 * button said nothing: the secret is selected instead, and the page says to copy it by hand.
 */
export function ShownOnce({ title, label, value }: Props) {
  const clipboard = useClipboard({ timeout: 2000 });
  const code = useRef<HTMLElement>(null);
  const failed = clipboard.error !== null;
  // Refused (no clipboard, or the browser said no): the secret selected, to copy by hand.
  useEffect(() => {
    if (failed && code.current) window.getSelection()?.selectAllChildren(code.current);
  }, [failed, clipboard.error]);
  const copy = () => clipboard.copy(value);
  return (
    <Alert color="green" title={title}>
      <Stack gap="xs">
        <Text size="sm">Copy it now: it is shown only this once.</Text>
        <Group gap="xs" wrap="nowrap">
          <Code ref={code} style={{ overflowWrap: 'anywhere' }} aria-label={label}>
            {value}
          </Code>
          <Button
            size="xs"
            variant="default"
            onClick={copy}
            // Named for its secret: two keys made in a visit gave two buttons named "Copy".
            aria-label={`${clipboard.copied ? 'Copied' : 'Copy'} ${lowerFirst(label)}`}
          >
            {clipboard.copied ? 'Copied' : 'Copy'}
          </Button>
        </Group>
        {failed && (
          <Text size="sm" fw={600} role="alert">
            This browser did not let the page copy it: it is selected, copy it with Ctrl+C (⌘C on a
            Mac).
          </Text>
        )}
      </Stack>
    </Alert>
  );
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

import { Alert, Button, Code, CopyButton, Group, Stack, Text } from '@mantine/core';

interface Props {
  title: string;
  /** The secret's name for screen readers ("The new API key"). */
  label: string;
  value: string;
}

/** A secret the API shows only once (an API key, a signing secret), with a copy button. */
export function ShownOnce({ title, label, value }: Props) {
  return (
    <Alert color="green" title={title}>
      <Stack gap="xs">
        <Text size="sm">Copy it now: it is shown only this once.</Text>
        <Group gap="xs" wrap="nowrap">
          <Code style={{ overflowWrap: 'anywhere' }} aria-label={label}>
            {value}
          </Code>
          <CopyButton value={value}>
            {({ copied, copy }) => (
              <Button size="xs" variant="default" onClick={copy}>
                {copied ? 'Copied' : 'Copy'}
              </Button>
            )}
          </CopyButton>
        </Group>
      </Stack>
    </Alert>
  );
}

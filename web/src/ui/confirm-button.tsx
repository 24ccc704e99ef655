import { Button, Group, Modal, Stack, Text, type ButtonProps } from '@mantine/core';
import { useRef, useState, type ReactNode } from 'react';
import { keepFocusNear } from './use-dialog';

interface Props extends Pick<ButtonProps, 'size' | 'variant' | 'loading' | 'disabled'> {
  /** The button's text; the dialog's title is `title`. */
  children: ReactNode;
  'aria-label'?: string;
  title: string;
  /** What confirming does and what cannot be undone, in a sentence or two. */
  consequence: ReactNode;
  confirmLabel: string;
  keepLabel: string;
  onConfirm: () => void;
}

/**
 * A button for a step that cannot be undone (revoking a key, rotating a secret, cancelling an
 * approved run): it asks first, saying what happens, so one stray click does not do it.
 */
export function ConfirmButton({
  children,
  title,
  consequence,
  confirmLabel,
  keepLabel,
  onConfirm,
  ...button
}: Props) {
  const [open, setOpen] = useState(false);
  const trigger = useRef<HTMLButtonElement>(null);
  return (
    <>
      <Button {...button} ref={trigger} onClick={() => setOpen(true)}>
        {children}
      </Button>
      <Modal opened={open} onClose={() => setOpen(false)} title={title}>
        <Stack>
          <Text size="sm">{consequence}</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setOpen(false)} data-autofocus>
              {keepLabel}
            </Button>
            <Button
              color="red"
              onClick={() => {
                setOpen(false);
                // The step often removes this button (a revoked key's row goes): the focus
                // then stays near it instead of falling to the page's start.
                if (trigger.current) keepFocusNear(trigger.current);
                onConfirm();
              }}
            >
              {confirmLabel}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}

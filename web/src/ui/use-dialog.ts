import { useRef, useState } from 'react';

/**
 * A dialog rendered only while open (so its form starts from the current data each time):
 * `open(value, button)` from the button that asks, `close()` puts the focus back on that button. The
 * dialog unmounts on close, so Mantine's own return of focus never runs, and a keyboard or
 * screen-reader user was left at the top of the page.
 */
export function useDialog<T>(): {
  value: T | null;
  open: (value: T, trigger: HTMLElement) => void;
  close: () => void;
} {
  const [value, setValue] = useState<T | null>(null);
  const trigger = useRef<HTMLElement | null>(null);
  return {
    value,
    // The button itself, not document.activeElement: Safari does not focus a clicked button.
    open: (next, button) => {
      trigger.current = button;
      setValue(next);
    },
    close: () => {
      setValue(null);
      // After the dialog has gone (its focus trap lets go first).
      const back = trigger.current;
      requestAnimationFrame(() => back?.isConnected && back.focus());
    },
  };
}

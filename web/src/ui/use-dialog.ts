import { useRef, useState } from 'react';
import { queryClient } from '../app/query-client';

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
      if (back) keepFocusNear(back);
    },
  };
}

/**
 * How long after the last write settled, and the last re-read it caused ended, the button is
 * taken to have stayed: the re-read that removes it comes after the write's answer, which on a
 * slow network (a lost answer asked again, a slow read) is well after the press. Not polling
 * reads: a page that polls (a paying run, every 1.5 s) would keep every press's watch for its
 * full minute (a polled read is not an invalidated one).
 */
const SETTLE_MS = 5_000;
/** Given up after a minute whatever happens: a request that long is someone else's concern. */
const GIVE_UP_MS = 60_000;

const busy = () =>
  queryClient.isMutating() > 0 ||
  queryClient.isFetching({ predicate: (query) => query.state.isInvalidated }) > 0;

/**
 * A dialog's action often removes the button that opened it (a written-off invoice has no
 * Write off button any more) once the refetch lands, and the focus then fell to the page's
 * start. It goes to the nearest table or section around the button that is still there (the
 * table itself may go with its last row), if nothing else has taken it meanwhile. A button with
 * an id whose successor comes back under it (a form remounted by its save) gets the focus on it.
 */
export function keepFocusNear(button: HTMLElement): void {
  const around: HTMLElement[] = [];
  for (
    let at = button.parentElement?.closest<HTMLElement>('[role="region"], section, main');
    at;
    at = at.parentElement?.closest<HTMLElement>('[role="region"], section, main')
  ) {
    around.push(at);
  }
  if (around.length === 0) return;
  const observer = new MutationObserver(() => {
    if (button.isConnected) return;
    stop();
    const lost = document.activeElement === null || document.activeElement === document.body;
    const successor = button.id ? document.getElementById(button.id) : null;
    if (lost && successor instanceof HTMLElement) return successor.focus();
    const near = around.find((element) => element.isConnected);
    if (!lost || !near) return;
    if (!near.hasAttribute('tabindex')) near.setAttribute('tabindex', '-1');
    near.focus();
  });
  // The window runs from the last moment a write or its re-read was under way, not the press.
  const started = Date.now();
  let lastBusy = started;
  const watch = setInterval(() => {
    const now = Date.now();
    if (busy()) lastBusy = now;
    if (now - lastBusy >= SETTLE_MS || now - started >= GIVE_UP_MS) stop();
  }, 250);
  function stop() {
    observer.disconnect();
    clearInterval(watch);
  }
  observer.observe(document.body, { childList: true, subtree: true });
}

/**
 * A button pressed from the keyboard shows it is working (Mantine's `loading`) by becoming
 * disabled, and a disabled element loses the focus: it fell to the page's start, so a keyboard
 * user pressing "Send message" again and again had to tab back to it each time. When a button
 * loses the focus because it was disabled, and nothing else took it, the focus goes back to it
 * once it is enabled again (if it is still there and the focus is still nowhere).
 */
export function keepFocusOnBusyButtons(doc: Document = document): () => void {
  const lostFocus = (event: FocusEvent) => {
    const button = event.target;
    // Focus that moved somewhere (relatedTarget), or a button still enabled: not this case.
    // Inputs too: a switch disabled while its change saves (availability) lost the focus alike.
    const control = button instanceof HTMLButtonElement || button instanceof HTMLInputElement;
    if (!control || event.relatedTarget !== null) return;
    // The attribute is set in the same render that moves the focus: look once it has settled.
    queueMicrotask(() => {
      if (!button.disabled) return;
      const observer = new MutationObserver(() => {
        if (!button.isConnected) return observer.disconnect();
        if (button.disabled) return;
        observer.disconnect();
        const nowhere = doc.activeElement === null || doc.activeElement === doc.body;
        if (nowhere) button.focus();
      });
      observer.observe(doc.body, { subtree: true, childList: true, attributes: true });
      // Given up after a minute: a request that long is someone else's concern by then.
      setTimeout(() => observer.disconnect(), 60_000);
    });
  };
  doc.addEventListener('focusout', lostFocus);
  return () => doc.removeEventListener('focusout', lostFocus);
}

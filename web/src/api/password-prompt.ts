// No React here: the store is tested outside a browser (test/web-password-prompt.spec.ts).
import { getSessionState } from './session-store';

/**
 * The console's one "give your password again" prompt (PasswordPrompt shows it): any call
 * refused RECENT_SIGN_IN_REQUIRED waits on it, and calls refused together share it, so two at
 * once ask once.
 */
let pending: {
  answer: Promise<boolean>;
  settle: (proved: boolean) => void;
  /** Who was signed in when it opened: another user by now has nothing of theirs to prove. */
  for: string | undefined;
} | null = null;
const listeners = new Set<() => void>();

function changed(): void {
  for (const listener of listeners) listener();
}

/** Opens the prompt (or joins the open one): true once the password was proved, false if not. */
export function askForPassword(): Promise<boolean> {
  if (!pending) {
    let settle!: (proved: boolean) => void;
    const answer = new Promise<boolean>((resolve) => (settle = resolve));
    pending = { answer, settle, for: getSessionState().user?.id };
    changed();
  }
  return pending.answer;
}

/** How many times the password was given in this tab: a refusal from before one is stale. */
let proofs = 0;
export const passwordProofs = () => proofs;

/** Closes the prompt with its outcome, for every call waiting on it. */
export function settlePasswordPrompt(proved: boolean): void {
  const was = pending;
  pending = null;
  if (proved) proofs += 1;
  was?.settle(proved);
  changed();
}

export function subscribePasswordPrompt(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Whom the open prompt asks (the user signed in when it opened); null when it is closed. */
export function passwordPromptFor(): string | undefined | null {
  return pending ? pending.for : null;
}

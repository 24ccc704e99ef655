import {
  askForPassword,
  passwordPromptFor,
  passwordProofs,
  settlePasswordPrompt,
} from '../web/src/api/password-prompt';
import { setSessionState } from '../web/src/api/session-store';

/** The console's one password prompt: calls refused together wait on it once. */
describe('the password prompt', () => {
  it('is shared by calls refused together, and answers each of them', async () => {
    const first = askForPassword();
    const second = askForPassword();
    expect(second).toBe(first);
    settlePasswordPrompt(true);
    await expect(Promise.all([first, second])).resolves.toEqual([true, true]);
  });

  it('opens afresh after it closed, and a cancel answers false', async () => {
    const before = askForPassword();
    settlePasswordPrompt(true);
    await before;
    const next = askForPassword();
    expect(next).not.toBe(before);
    settlePasswordPrompt(false);
    await expect(next).resolves.toBe(false);
  });

  it('counts the passwords given, not the prompts cancelled, and names whom it asks', async () => {
    setSessionState({ status: 'signed-in', user: { id: 'alice' } as never, accessToken: 't' });
    const before = passwordProofs();
    void askForPassword();
    expect(passwordPromptFor()).toBe('alice');
    settlePasswordPrompt(false);
    expect(passwordPromptFor()).toBeNull();
    void askForPassword();
    settlePasswordPrompt(true);
    expect(passwordProofs()).toBe(before + 1);
  });
});

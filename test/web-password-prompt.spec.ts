import { askForPassword, settlePasswordPrompt } from '../web/src/api/password-prompt';

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
});

import type { SessionState } from '../web/src/api/session-store';

const clean = jest.fn();
jest.mock('@mantine/notifications', () => ({ notifications: { clean: () => clean() } }));

/**
 * The console's notices (a withdrawn ticket's subject, a cancelled shift's reason) are the
 * signed-in user's: a sign-out clears them, and so must a refresh that finds another user signed
 * in, which comes with no sign-out (another tab signed in as them through the shared cookie).
 */
describe("the console's notices when the user changes", () => {
  let refreshSession: () => Promise<boolean>;
  let setSessionState: (state: Partial<SessionState>) => void;
  /** The user the refresh route answers as. */
  let answeredAs = '';
  const realFetch = global.fetch;
  beforeAll(async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] }); // the next refresh's timer
    // session.ts makes its client for this origin when it loads, with the fetch of then.
    (globalThis as { window?: unknown }).window = { location: { origin: 'http://console.test' } };
    global.fetch = () =>
      Promise.resolve(
        new Response(
          JSON.stringify({
            user: { id: answeredAs, email: `${answeredAs}@example.test`, role: 'agent' },
            accessToken: 'new',
            expiresIn: 900,
          }),
          { status: 200, headers: { 'Content-Type': 'application/json' } },
        ),
      );
    // By a path TypeScript does not follow: the module's types are the browser's (`window`),
    // which the suite's TypeScript (Node's, no DOM) does not know.
    const session = '../web/src/api/session';
    ({ refreshSession } = (await import(session)) as { refreshSession: () => Promise<boolean> });
    ({ setSessionState } = await import('../web/src/api/session-store'));
  });
  afterAll(() => {
    jest.useRealTimers();
    global.fetch = realFetch;
    delete (globalThis as { window?: unknown }).window;
  });
  beforeEach(() => clean.mockReset());

  const signedInAs = (id: string) =>
    setSessionState({
      status: 'signed-in',
      user: { id } as never,
      accessToken: 'old',
      expiresAt: Date.now() + 60_000,
      problem: null,
    });
  const refreshAnswersAs = (id: string) => (answeredAs = id);

  it('are cleared when a refresh finds another user signed in', async () => {
    signedInAs('alice');
    refreshAnswersAs('bob');
    expect(await refreshSession()).toBe(true);
    expect(clean).toHaveBeenCalledTimes(1);
  });

  it('stay when the refresh renews the same user', async () => {
    signedInAs('alice');
    refreshAnswersAs('alice');
    expect(await refreshSession()).toBe(true);
    expect(clean).not.toHaveBeenCalled();
  });
});

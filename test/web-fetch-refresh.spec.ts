import { fetchWithRefresh } from '../web/src/api/fetch-with-refresh';
import { setSessionState } from '../web/src/api/session-store';

const refreshSession = jest.fn<Promise<boolean>, []>();

/** The console's fetch: one retry after a 401, with the renewed token of the same user only. */
describe('the console retries a request after a 401', () => {
  const sent: string[] = [];
  const signIn = (id: string, token: string) =>
    setSessionState({ status: 'signed-in', user: { id } as never, accessToken: token });
  beforeEach(() => {
    sent.length = 0;
    refreshSession.mockReset();
    jest.spyOn(global, 'fetch').mockImplementation((input) => {
      const auth = (input as Request).headers.get('Authorization') ?? '';
      sent.push(auth);
      return Promise.resolve(new Response(null, { status: auth === 'Bearer fresh' ? 200 : 401 }));
    });
  });
  afterEach(() => jest.restoreAllMocks());
  const approve = () =>
    fetchWithRefresh(refreshSession)(
      new Request('http://console.test/v1/adjustments/1/approve', {
        method: 'POST',
        headers: { Authorization: 'Bearer expired' },
      }),
    );

  it('sends it again with the token the refresh brought, for the same user', async () => {
    signIn('alice', 'expired');
    refreshSession.mockImplementation(() => {
      signIn('alice', 'fresh');
      return Promise.resolve(true);
    });
    expect((await approve()).status).toBe(200);
    expect(sent).toEqual(['Bearer expired', 'Bearer fresh']);
  });

  it('never sends it as another user the refresh found signed in (another tab signed in as them)', async () => {
    signIn('alice', 'expired');
    refreshSession.mockImplementation(() => {
      signIn('bob', 'fresh');
      return Promise.resolve(true);
    });
    expect((await approve()).status).toBe(401);
    expect(sent).toEqual(['Bearer expired']);
  });

  it('nor when another call of this tab already renewed the session as another user', async () => {
    signIn('alice', 'expired');
    const pending = approve();
    signIn('bob', 'fresh');
    expect((await pending).status).toBe(401);
    expect(sent).toEqual(['Bearer expired']);
    expect(refreshSession).not.toHaveBeenCalled();
  });
});

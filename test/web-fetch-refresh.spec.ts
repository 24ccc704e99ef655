import { fetchWithRefresh } from '../web/src/api/fetch-with-refresh';
import { setSessionState } from '../web/src/api/session-store';

const refreshSession = jest.fn<Promise<boolean>, []>();
const confirmPassword = jest.fn<Promise<boolean>, []>();
/** What the prompt proved so far: confirmPassword's mocks count their own proofs. */
let proofs = 0;
const prompt = { ask: confirmPassword, proofs: () => proofs };

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
    fetchWithRefresh(
      refreshSession,
      prompt,
    )(
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

/** A step that wants a recent sign-in: the password is asked for, then the step goes again. */
describe('the console asks for the password after a 403 RECENT_SIGN_IN_REQUIRED', () => {
  const sent: string[] = [];
  const signIn = (id: string, token: string) =>
    setSessionState({ status: 'signed-in', user: { id } as never, accessToken: token });
  const refusal = (code: string) =>
    new Response(JSON.stringify({ error: { code, message: 'no' } }), {
      status: 403,
      headers: { 'Content-Type': 'application/json' },
    });
  beforeEach(() => {
    sent.length = 0;
    confirmPassword.mockReset();
    refreshSession.mockReset();
    jest.spyOn(global, 'fetch').mockImplementation(async (input) => {
      const request = input as Request;
      const auth = request.headers.get('Authorization') ?? '';
      sent.push(`${auth} ${await request.text()}`);
      if (request.url.endsWith('/forbidden')) return refusal('FORBIDDEN');
      return auth === 'Bearer proved'
        ? new Response(null, { status: 201 })
        : refusal('RECENT_SIGN_IN_REQUIRED');
    });
  });
  afterEach(() => jest.restoreAllMocks());
  const createKey = (path = '/v1/companies/me/api-keys') =>
    fetchWithRefresh(
      refreshSession,
      prompt,
    )(
      new Request(`http://console.test${path}`, {
        method: 'POST',
        headers: { Authorization: 'Bearer old' },
        body: '{"name":"bot"}',
      }),
    );

  it('sends it again, body and all, with the token the password brought', async () => {
    signIn('alice', 'old');
    confirmPassword.mockImplementation(() => {
      signIn('alice', 'proved');
      proofs += 1;
      return Promise.resolve(true);
    });
    expect((await createKey()).status).toBe(201);
    expect(sent).toEqual(['Bearer old {"name":"bot"}', 'Bearer proved {"name":"bot"}']);
  });

  it('answers the refusal when the prompt is cancelled, or another user is signed in by then', async () => {
    signIn('alice', 'old');
    confirmPassword.mockResolvedValue(false);
    const cancelled = await createKey();
    expect(cancelled.status).toBe(403);
    expect(((await cancelled.json()) as { error: { code: string } }).error.code).toBe(
      'RECENT_SIGN_IN_REQUIRED',
    );
    confirmPassword.mockImplementation(() => {
      signIn('bob', 'proved');
      return Promise.resolve(true);
    });
    signIn('alice', 'old');
    expect((await createKey()).status).toBe(403);
    expect(sent).toHaveLength(2);
  });

  it('asks when the step, renewed after a 401, is refused so (a laptop that slept)', async () => {
    signIn('alice', 'expired');
    refreshSession.mockImplementation(() => {
      signIn('alice', 'old');
      return Promise.resolve(true);
    });
    confirmPassword.mockImplementation(() => {
      signIn('alice', 'proved');
      proofs += 1;
      return Promise.resolve(true);
    });
    jest.spyOn(global, 'fetch').mockImplementation(async (input) => {
      const request = input as Request;
      const auth = request.headers.get('Authorization') ?? '';
      sent.push(`${auth} ${await request.text()}`);
      if (auth === 'Bearer expired') return new Response(null, { status: 401 });
      return auth === 'Bearer proved'
        ? new Response(null, { status: 201 })
        : refusal('RECENT_SIGN_IN_REQUIRED');
    });
    const res = await fetchWithRefresh(
      refreshSession,
      prompt,
    )(
      new Request('http://console.test/v1/companies/me/api-keys', {
        method: 'POST',
        headers: { Authorization: 'Bearer expired' },
        body: '{"name":"bot"}',
      }),
    );
    expect(res.status).toBe(201);
    expect(sent).toEqual([
      'Bearer expired {"name":"bot"}',
      'Bearer old {"name":"bot"}',
      'Bearer proved {"name":"bot"}',
    ]);
  });

  it('sends it again without asking when the password was given meanwhile (another call asked)', async () => {
    signIn('alice', 'old');
    jest.mocked(fetch).mockImplementationOnce(async (input) => {
      sent.push(`${(input as Request).headers.get('Authorization')} first`);
      // Another call's prompt is answered while this one is on its way.
      signIn('alice', 'proved');
      proofs += 1;
      return refusal('RECENT_SIGN_IN_REQUIRED');
    });
    expect((await createKey()).status).toBe(201);
    expect(confirmPassword).not.toHaveBeenCalled();
    expect(sent).toEqual(['Bearer old first', 'Bearer proved {"name":"bot"}']);
  });

  it('asks all the same when the token changed meanwhile by a mere renewal', async () => {
    signIn('alice', 'old');
    jest.mocked(fetch).mockImplementationOnce(async (input) => {
      sent.push(`${(input as Request).headers.get('Authorization')} first`);
      signIn('alice', 'renewed'); // a scheduled refresh: nothing proved
      return refusal('RECENT_SIGN_IN_REQUIRED');
    });
    confirmPassword.mockImplementation(() => {
      signIn('alice', 'proved');
      proofs += 1;
      return Promise.resolve(true);
    });
    expect((await createKey()).status).toBe(201);
    expect(confirmPassword).toHaveBeenCalledTimes(1);
    expect(sent).toEqual(['Bearer old first', 'Bearer proved {"name":"bot"}']);
  });

  it('asks once per request: refused again after the password, the refusal is the answer', async () => {
    signIn('alice', 'old');
    confirmPassword.mockImplementation(() => {
      signIn('alice', 'still-old'); // proved, yet the API refuses again (a clock far off, say)
      proofs += 1;
      return Promise.resolve(true);
    });
    expect((await createKey()).status).toBe(403);
    expect(confirmPassword).toHaveBeenCalledTimes(1);
    expect(sent).toHaveLength(2);
  });

  it('never asks another user signed in before the refusal came back', async () => {
    signIn('alice', 'old');
    jest.mocked(fetch).mockImplementationOnce(async () => {
      signIn('bob', 'bobs'); // another tab signed in as Bob; this tab follows the cookie
      return refusal('RECENT_SIGN_IN_REQUIRED');
    });
    expect((await createKey()).status).toBe(403);
    expect(confirmPassword).not.toHaveBeenCalled();
  });

  it('never asks for a read', async () => {
    signIn('alice', 'old');
    const read = await fetchWithRefresh(
      refreshSession,
      prompt,
    )(
      new Request('http://console.test/v1/companies/me/api-keys', {
        headers: { Authorization: 'Bearer old' },
      }),
    );
    expect(read.status).toBe(403);
    expect(confirmPassword).not.toHaveBeenCalled();
  });

  it('asks nothing for any other 403', async () => {
    signIn('alice', 'old');
    expect((await createKey('/forbidden')).status).toBe(403);
    expect(confirmPassword).not.toHaveBeenCalled();
  });
});

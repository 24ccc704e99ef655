import { MutationObserver, QueryClient } from '@tanstack/query-core';
import { NotSent, retryLostAnswer, unansweredWrite } from '../web/src/api/keyed-call';
import { pressed, sendAttempt, type KeyedCall } from '../web/src/api/keyed-call';
import { setSessionState } from '../web/src/api/session-store';
import { ApiError } from '../src/client/client';

/**
 * The console's automatic retry of a keyed write (useKeyedMutation and useRowActions compose
 * exactly these: retryLostAnswer on a mutation whose attempts go through sendAttempt), run by
 * TanStack Query itself: a lost answer is asked again under the press's key, but never as
 * another user, after its dialog was closed, nor long after the press.
 */
describe("a keyed write's retries after a lost answer", () => {
  let client: QueryClient;
  beforeEach(() => {
    jest.useFakeTimers();
    client = new QueryClient();
    setSessionState({ status: 'signed-in', user: { id: 'u-1' } as never });
  });
  afterEach(() => {
    client.clear();
    jest.useRealTimers();
  });

  /** A mutation as the hooks make it; `send` answers each attempt (the key is recorded). */
  function keyedWrite(send: (attempt: number) => Promise<string>) {
    const keys: string[] = [];
    const observer = new MutationObserver(client, {
      mutationFn: (call: KeyedCall<string>) =>
        sendAttempt(call, (_v, key) => {
          keys.push(key);
          return send(keys.length);
        }),
      ...retryLostAnswer,
    });
    return { observer, keys };
  }
  const lost = () => Promise.reject(new TypeError('Failed to fetch'));

  it('asks again under the same key after 1 s and 3 s, and stops at the answer', async () => {
    const { observer, keys } = keyedWrite((n) => (n < 3 ? lost() : Promise.resolve('done')));
    const result = observer.mutate(pressed('v', 'key-1'));
    await jest.advanceTimersByTimeAsync(999);
    expect(keys).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(keys).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(3_000);
    await expect(result).resolves.toBe('done');
    expect(keys).toEqual(['key-1', 'key-1', 'key-1']);
  });

  it("asks again after a proxy's 502, not after a refusal", async () => {
    const gateway = keyedWrite((n) =>
      n === 1
        ? Promise.reject(new ApiError(502, '<html>502</html>', 'POST /v1/x'))
        : Promise.resolve('done'),
    );
    const done = gateway.observer.mutate(pressed('v', 'key-5'));
    await jest.advanceTimersByTimeAsync(1_000);
    await expect(done).resolves.toBe('done');
    expect(gateway.keys).toEqual(['key-5', 'key-5']);

    const refused = keyedWrite(() =>
      Promise.reject(
        new ApiError(409, { error: { code: 'ALREADY_CLAIMED', message: 'Taken' } }, 'POST /v1/x'),
      ),
    );
    const answer = refused.observer.mutate(pressed('v', 'key-6')).catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(refused.keys).toHaveLength(1);
    expect(await answer).toMatchObject({ status: 409 });
  });

  it('marks a write whose every attempt went unanswered as perhaps done, not a refusal nor one answered late', async () => {
    const { observer, keys } = keyedWrite(() => lost());
    const settled = observer.mutate(pressed('v', 'key-7')).catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(4_000);
    const error = await settled;
    expect(keys).toEqual(['key-7', 'key-7', 'key-7']);
    expect(unansweredWrite(error)).toBe(true);

    const refusal = new ApiError(409, { error: { code: 'X', message: 'No' } }, 'POST /v1/x');
    const refused = keyedWrite(() => Promise.reject(refusal));
    const answer = refused.observer.mutate(pressed('v', 'key-8')).catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(unansweredWrite(await answer)).toBe(false);
    // One lost, then answered with a failure: that answer is what happened.
    const late = keyedWrite((n) => (n === 1 ? lost() : Promise.reject(refusal)));
    const second = late.observer.mutate(pressed('v', 'key-9')).catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(await second).toBe(refusal);
    expect(unansweredWrite(refusal)).toBe(false);
  });

  it('sends no retry once the tab is signed in as someone else', async () => {
    const { observer, keys } = keyedWrite(() => lost());
    const result = observer.mutate(pressed('v', 'key-2')).catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(0);
    setSessionState({ user: { id: 'u-2' } as never });
    await jest.advanceTimersByTimeAsync(5_000);
    expect(keys).toHaveLength(1);
    expect(await result).toMatchObject({ why: 'another-user' });
  });

  it('does not hand an answer that came after the tab changed user to the success handlers', async () => {
    let answer: (value: string) => void = () => undefined;
    const { observer, keys } = keyedWrite(() => new Promise<string>((done) => (answer = done)));
    const result = observer.mutate(pressed('v', 'key-5')).catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(0);
    setSessionState({ user: { id: 'u-2' } as never }); // signed out, the next user in
    answer('the first user’s profile');
    await jest.advanceTimersByTimeAsync(5_000);
    expect(keys).toHaveLength(1); // sent once, not again
    expect(await result).toMatchObject({ why: 'answered-another-user' });
  });

  it('sends no retry once its press was dropped (its dialog closed)', async () => {
    const { observer, keys } = keyedWrite(() => lost());
    const call = pressed('v', 'key-3');
    const result = observer.mutate(call).catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(0);
    call.dropped = true;
    await jest.advanceTimersByTimeAsync(5_000);
    expect(keys).toHaveLength(1);
    expect(await result).toBeInstanceOf(NotSent);
    expect(await result).toMatchObject({ why: 'dropped' });
  });

  it('sends no retry more than 5 minutes after the press (one held while offline)', async () => {
    const { observer, keys } = keyedWrite(() => lost());
    const call = pressed('v', 'key-4');
    const result = observer.mutate(call).catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(0);
    call.at -= 5 * 60_000 + 1; // as if the retry had waited that long
    await jest.advanceTimersByTimeAsync(5_000);
    expect(keys).toHaveLength(1);
    const stale = await result;
    expect(stale).toMatchObject({ why: 'stale' });
    // Its first attempt went unanswered: it may have been done, and says so.
    expect(unansweredWrite(stale)).toBe(true);
  });
});

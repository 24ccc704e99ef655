import type { ConfigService } from '@nestjs/config';
import Stripe from 'stripe';
import type { QueuesService } from '../jobs/queues.service';
import { PacedHttpClient } from './paced-http-client';
import { RESERVE_TIMEOUT_MS, StripePacer } from './stripe-pacer.service';

/** A pacer over a stand-in for the payouts queue's Redis connection. */
function pacerOver(redis: { status: string; runCommand?: () => Promise<unknown> }) {
  const client = { defineCommand: () => undefined, runCommand: async () => 0, ...redis };
  const queues = {
    get: () => ({ client: Promise.resolve(client), toKey: (k: string) => `q:${k}` }),
  } as unknown as QueuesService;
  const config = { get: () => 25 } as unknown as ConfigService;
  return new StripePacer(queues, config as never);
}

describe('StripePacer, when Redis cannot pace', () => {
  afterEach(() => jest.useRealTimers());

  it('refuses a slot at once while Redis reconnects (ioredis would hold the script for minutes)', async () => {
    const runCommand = jest.fn(() => new Promise(() => undefined));
    await expect(pacerOver({ status: 'reconnecting', runCommand }).slot()).rejects.toThrow(
      'Redis reconnecting',
    );
    expect(runCommand).not.toHaveBeenCalled();
  });

  it('refuses a slot Redis does not answer for within RESERVE_TIMEOUT_MS', async () => {
    jest.useFakeTimers();
    const slot = pacerOver({ status: 'ready', runCommand: () => new Promise(() => undefined) })
      .slot()
      .then(
        () => 'paced',
        (e: Error) => e.message,
      );
    await jest.advanceTimersByTimeAsync(RESERVE_TIMEOUT_MS);
    expect(await slot).toBe(`no answer from Redis within ${RESERVE_TIMEOUT_MS} ms`);
  });

  it('lets a call made inside `prepaid` use the slot taken before it, once', async () => {
    const pacer = pacerOver({ status: 'ready' });
    const slots = jest.spyOn(pacer, 'slot');
    await pacer.prepaid(async () => {
      await pacer.turn(); // the one taken ahead
      expect(slots).toHaveBeenCalledTimes(1);
      await pacer.turn(); // a second call takes its own
    });
    expect(slots).toHaveBeenCalledTimes(2);
  });

  it('sends the request unpaced when the pacer refuses, rather than failing or hanging it', async () => {
    const answer = {} as Stripe.HttpClientResponse;
    const inner = { makeRequest: jest.fn(async () => answer), getClientName: () => 'inner' };
    const client = new PacedHttpClient(inner as unknown as Stripe.HttpClient, {
      turn: () => Promise.reject(new Error('Redis reconnecting')),
    });
    await expect(
      client.makeRequest('api.stripe.com', '443', '/v1/balance', 'GET', {}, '', 'https', 1000),
    ).resolves.toBe(answer);
    expect(inner.makeRequest).toHaveBeenCalledTimes(1);
  });
});

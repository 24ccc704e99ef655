/**
 * The demo's calls to the public API go through the typed client (src/client, generated from
 * the OpenAPI document), with what a demo needs on top: every call names the step it belongs
 * to, so a failure stops the demo with "what we were doing", the request, the HTTP status and
 * the error body the API sent; a 429 is waited out as Retry-After says; every request (retries
 * too) is counted for the summary; none waits more than TIMEOUT_MS.
 *
 *   const shift = await api.step('Acme posts a shift', api.as(token).POST('/v1/shifts', { body }));
 */
import {
  type ApiAnswer,
  createHandoffClient,
  type HandoffClient,
  requestLine,
} from '../../src/client/client';
import { sleep } from './narrate';

export class StepFailed extends Error {
  constructor(
    readonly step: string,
    readonly request: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${step} failed: ${request} → HTTP ${status}\n${body}`);
    this.name = 'StepFailed';
  }
}

/** No answer at all (refused, reset, timed out): thrown by the fetch under the typed client. */
class NoAnswer extends Error {
  constructor(
    readonly request: string,
    cause: unknown,
  ) {
    super((cause as Error)?.message ?? String(cause));
  }
}

const RATE_LIMIT_RETRIES = 5;
const TIMEOUT_MS = 30_000;
/** Statuses whose Response must have no body (the constructor refuses one). */
const NULL_BODY = new Set([101, 204, 205, 304]);

const bodyText = (error: unknown) =>
  typeof error === 'string' ? error : (JSON.stringify(error) ?? '');

export class Api {
  /** Requests made, for the summary (a demo is also a small load test). */
  calls = 0;
  private readonly clients = new Map<string, HandoffClient>();
  private readonly fetch = (request: Request) => this.send(request);

  constructor(readonly baseUrl: string) {}

  /** The typed client as one caller: a user's access token, a bot's API key, or nobody. */
  as(token?: string): HandoffClient {
    let client = this.clients.get(token ?? '');
    if (!client) {
      client = createHandoffClient({ baseUrl: this.baseUrl, token, fetch: this.fetch });
      this.clients.set(token ?? '', client);
    }
    return client;
  }

  /** One call as a named step: the data of its 2xx answer, or StepFailed. */
  async step<D>(step: string, call: Promise<ApiAnswer<D>>): Promise<D> {
    return (await this.answer(step, call)).data as D;
  }

  /**
   * One call as a named step, whole (status, data or error, headers): `accept` lists the
   * statuses that are an answer, not a failure (default: any 2xx).
   */
  async answer<A extends ApiAnswer>(
    step: string,
    call: Promise<A>,
    accept?: number[],
  ): Promise<A & { status: number }> {
    let answer: A;
    try {
      answer = await call;
    } catch (e) {
      if (e instanceof NoAnswer)
        throw new StepFailed(step, e.request, 0, `no answer: ${e.message}`);
      throw e;
    }
    const { status, ok } = answer.response;
    if (!(accept ? accept.includes(status) : ok)) {
      throw new StepFailed(step, requestLine(answer.response), status, bodyText(answer.error));
    }
    return Object.assign(answer, { status });
  }

  /** Every item of a cursor-paginated list, 100 a page: `page` asks for the one after `cursor`. */
  async all<I>(
    step: string,
    page: (
      cursor: string | undefined,
    ) => Promise<ApiAnswer<{ items: I[]; nextCursor: string | null }>>,
  ): Promise<I[]> {
    const items: I[] = [];
    let cursor: string | undefined;
    do {
      const data = await this.step(step, page(cursor));
      items.push(...data.items);
      cursor = data.nextCursor ?? undefined;
    } while (cursor);
    return items;
  }

  /**
   * The fetch under every typed client of the demo. The answer is read here in full, under the
   * timeout, so a hang-up or timeout at any point is a NoAnswer naming the request.
   */
  private async send(request: Request): Promise<Response> {
    const line = `${request.method} ${new URL(request.url).pathname}`;
    for (let attempt = 0; ; attempt++) {
      this.calls += 1;
      let res: Response;
      let body: ArrayBuffer;
      try {
        res = await fetch(request.clone(), { signal: AbortSignal.timeout(TIMEOUT_MS) });
        body = await res.arrayBuffer();
      } catch (e) {
        throw new NoAnswer(line, e);
      }
      // An instance started elsewhere keeps the default auth throttle (10/min per client):
      // wait as told instead of failing the day.
      if (res.status === 429 && attempt < RATE_LIMIT_RETRIES) {
        await sleep(Number(res.headers.get('Retry-After') ?? 5) * 1000);
        continue;
      }
      return new Response(NULL_BODY.has(res.status) ? null : body, res);
    }
  }
}

/** Runs `fn` over `items` with at most `width` in flight, keeping the order of results. */
export async function inParallel<T, R>(
  items: readonly T[],
  width: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  });
  await Promise.all(lanes);
  return results;
}

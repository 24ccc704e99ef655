/**
 * A thin JSON client for the public API. Every call names the step it belongs to, so a failure
 * stops the demo with "what we were doing", the HTTP status and the error body the API sent.
 */
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

export interface CallOptions {
  /** Bearer token: a user's access token or a bot's API key. */
  token?: string;
  body?: unknown;
  /** Statuses that are an answer, not a failure (default: any 2xx). */
  accept?: number[];
}

export interface Answer<T> {
  status: number;
  data: T;
  headers: Headers;
}

const RATE_LIMIT_RETRIES = 5;
const TIMEOUT_MS = 30_000;

export class Api {
  /** Calls made, for the summary (a demo is also a small load test). */
  calls = 0;

  constructor(readonly baseUrl: string) {}

  async call<T>(
    step: string,
    method: string,
    path: string,
    options: CallOptions = {},
  ): Promise<Answer<T>> {
    const request = `${method} ${path}`;
    for (let attempt = 0; ; attempt++) {
      this.calls += 1;
      let res: Response;
      try {
        res = await fetch(`${this.baseUrl}${path}`, {
          method,
          headers: {
            ...(options.token && { Authorization: `Bearer ${options.token}` }),
            ...(options.body !== undefined && { 'Content-Type': 'application/json' }),
          },
          body: options.body === undefined ? undefined : JSON.stringify(options.body),
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
      } catch (e) {
        throw new StepFailed(step, request, 0, `no answer: ${(e as Error).message}`);
      }
      const text = await res.text();
      // An instance started elsewhere keeps the default auth throttle (10/min per client):
      // wait as told instead of failing the day.
      if (res.status === 429 && attempt < RATE_LIMIT_RETRIES) {
        await sleep(Number(res.headers.get('Retry-After') ?? 5) * 1000);
        continue;
      }
      const ok = options.accept ? options.accept.includes(res.status) : res.ok;
      if (!ok) throw new StepFailed(step, request, res.status, text);
      const isJson = res.headers.get('content-type')?.includes('application/json') ?? false;
      return {
        status: res.status,
        data: (isJson && text ? JSON.parse(text) : text) as T,
        headers: res.headers,
      };
    }
  }

  async get<T>(step: string, path: string, token?: string): Promise<T> {
    return (await this.call<T>(step, 'GET', path, { token })).data;
  }

  async post<T>(step: string, path: string, token?: string, body?: unknown): Promise<T> {
    return (await this.call<T>(step, 'POST', path, { token, body })).data;
  }

  async put<T>(step: string, path: string, token: string, body: unknown): Promise<T> {
    return (await this.call<T>(step, 'PUT', path, { token, body })).data;
  }

  /** Every item of a cursor-paginated list. */
  async all<T>(step: string, path: string, token: string): Promise<T[]> {
    const items: T[] = [];
    const sep = path.includes('?') ? '&' : '?';
    let cursor: string | null = null;
    do {
      const page: { items: T[]; nextCursor: string | null } = await this.get(
        step,
        `${path}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        token,
      );
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
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

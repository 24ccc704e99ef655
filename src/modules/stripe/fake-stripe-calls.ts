import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/* One HTTP call to the fake Stripe as the parts of FakeStripe see it: read and decoded as
 * Stripe's API reads it, answered as Stripe answers, and recorded in `requests`. */

export interface RecordedRequest {
  method: string;
  path: string;
  idempotencyKey: string | null;
  params: Record<string, unknown>;
  status: number;
}

export interface FakeStripeCall {
  readonly method: string;
  readonly url: URL;
  readonly path: string;
  /** As sent: an Idempotency-Key's reuse is compared on it. */
  readonly body: string;
  readonly params: Record<string, unknown>;
  readonly key: string | null;
  readonly res: ServerResponse;
  /** Answers as Stripe's API does (JSON, a Request-Id) and records the call. */
  send(status: number, payload: unknown, headers?: Record<string, string>): void;
  /** Records the call under `status` only, for an answer written otherwise. */
  record(status: number): void;
}

const id = (prefix: string) => `${prefix}_${randomBytes(10).toString('hex')}`;

/** Stripe's form encoding (`a[b][c]=v`, `a[0]=v`) back to nested objects. */
export function parseForm(body: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [rawKey, value] of new URLSearchParams(body)) {
    const parts = rawKey.split(/\[|\]\[|\]/).filter((p) => p !== '');
    let node = out as Record<string, unknown>;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) node[part] = value;
      else node = (node[part] ??= {}) as Record<string, unknown>;
    });
  }
  return out;
}

/** Reads a call's body; what `send` answers is pushed onto `requests`. */
export async function readCall(
  req: IncomingMessage,
  res: ServerResponse,
  requests: RecordedRequest[],
): Promise<FakeStripeCall> {
  let body = '';
  for await (const chunk of req) body += chunk;
  const url = new URL(req.url ?? '/', 'http://fake');
  const params = req.method === 'GET' ? Object.fromEntries(url.searchParams) : parseForm(body);
  const key = (req.headers['idempotency-key'] as string | undefined) ?? null;
  const record = (status: number) => {
    requests.push({
      method: req.method!,
      path: url.pathname,
      idempotencyKey: key,
      params,
      status,
    });
  };
  const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
    record(status);
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Request-Id': id('req'),
      ...headers,
    });
    res.end(JSON.stringify(payload));
  };
  const method = req.method ?? 'GET';
  return { method, url, path: url.pathname, body, params, key, res, send, record };
}

import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import type { WebhookResolver } from '../../src/modules/webhooks/webhook-resolver';
import { escalate } from './tickets';
import type { TestApp } from './test-app';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** When the whole request had arrived (Date.now()), to read the sender's retry schedule. */
  at: number;
}

export interface WebhookReceiver {
  received: ReceivedRequest[];
  /** Listens on 127.0.0.1 and returns the URL to register (`http://127.0.0.1:<port>/hooks`). */
  start(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A company's webhook receiver on 127.0.0.1: answers each request with the next scripted status,
 * then `then`, with the given headers (a Location, say), and records what came.
 */
export function webhookReceiver(
  options: { script?: number[]; then?: number; headers?: Record<string, string> } = {},
): WebhookReceiver {
  const script = [...(options.script ?? [])];
  const received: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        at: Date.now(),
      });
      res.statusCode = script.shift() ?? options.then ?? 200;
      for (const [name, value] of Object.entries(options.headers ?? {})) {
        res.setHeader(name, value);
      }
      res.end();
    });
  });
  return {
    received,
    start: () =>
      new Promise<string>((r) =>
        server.listen(0, '127.0.0.1', () =>
          r(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`),
        ),
      ),
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * A resolver that knows only these names (anything else: ENOTFOUND), so no test depends on real
 * DNS and a delivery to one of them proves the connection used the address the policy checked.
 * Each lookup is recorded in `lookups`.
 */
export function fakeResolver(
  names: Map<string, string[]>,
  lookups: string[] = [],
): WebhookResolver {
  return async (hostname) => {
    lookups.push(hostname);
    const found = names.get(hostname);
    if (!found) {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    }
    return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}

/** A company event right now: a ticket whose claim deadline has passed, its SLA check due. */
export async function slaBreachNow(t: TestApp, botKey: string): Promise<string> {
  const ticket = await escalate(t, botKey, { claimSlaSeconds: 30 });
  await t.db.query(`UPDATE tickets SET sla_deadline = now() WHERE id = $1`, [ticket.id]);
  await t.db.query(`INSERT INTO outbox (job_name, payload) VALUES ('ticket.sla-check', $1)`, [
    { ticketId: ticket.id },
  ]);
  return ticket.id;
}

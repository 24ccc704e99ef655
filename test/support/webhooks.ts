import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
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
 * A self-signed certificate for `tls.example` (valid until 2126), so a test receiver can speak
 * https and a sender that checks certificates (ours) refuses it. Test material only.
 */
export const SELF_SIGNED_TLS = {
  key: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgqAI+FE5glXKRwbPB
1asnzyxCwI960rVJUfQFn5gfauChRANCAAQTQsHDkjaqcV3KyNaKQ7qgwI6+Edxc
NlJ6K63ICr0ZcvMqKSHkb7RY4XvWwgBhs2kD4d0kQC2huEx9LDZwd+fi
-----END PRIVATE KEY-----
`,
  cert: `-----BEGIN CERTIFICATE-----
MIIBnDCCAUGgAwIBAgIUfybkeKc5fXoVURcIHnT6l3RA5nAwCgYIKoZIzj0EAwIw
FjEUMBIGA1UEAwwLdGxzLmV4YW1wbGUwIBcNMjYxMTMwMTQ0MTUwWhgPMjEyNjEx
MDYxNDQxNTBaMBYxFDASBgNVBAMMC3Rscy5leGFtcGxlMFkwEwYHKoZIzj0CAQYI
KoZIzj0DAQcDQgAEE0LBw5I2qnFdysjWikO6oMCOvhHcXDZSeiutyAq9GXLzKikh
5G+0WOF71sIAYbNpA+HdJEAtobhMfSw2cHfn4qNrMGkwHQYDVR0OBBYEFLDjqe67
iT2TA9pDzcxqHQEIPgy6MB8GA1UdIwQYMBaAFLDjqe67iT2TA9pDzcxqHQEIPgy6
MA8GA1UdEwEB/wQFMAMBAf8wFgYDVR0RBA8wDYILdGxzLmV4YW1wbGUwCgYIKoZI
zj0EAwIDSQAwRgIhAN+A/ezf4nT+rzvtCz3XUw1RRDgwwInvHCN5xxwQwp1lAiEA
lqtoSTgj/d5NdDgZbKTL2CAw8OWASS+zjw57N8ikIUM=
-----END CERTIFICATE-----
`,
};

export interface ReceiverOptions {
  /** Statuses for the first requests, in order; then `then` (default 200). */
  script?: number[];
  then?: number;
  /** Decides each answer instead (a receiver that checks signatures, say). */
  answer?: (request: ReceivedRequest) => number;
  /** Headers on every answer (a Location, say). */
  headers?: Record<string, string>;
  /** Never answer (once `script` is used up): the request is recorded, the connection left open. */
  hang?: boolean;
  /** Serve https with SELF_SIGNED_TLS. */
  tls?: boolean;
}

/**
 * A company's webhook receiver on 127.0.0.1: answers each request with the next scripted status,
 * then `then`, with the given headers (a Location, say), and records what came.
 */
export function webhookReceiver(options: ReceiverOptions = {}): WebhookReceiver {
  const script = [...(options.script ?? [])];
  const received: ReceivedRequest[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const request: ReceivedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        at: Date.now(),
      };
      received.push(request);
      if (options.hang && script.length === 0) return;
      res.statusCode = options.answer?.(request) ?? script.shift() ?? options.then ?? 200;
      for (const [name, value] of Object.entries(options.headers ?? {})) {
        res.setHeader(name, value);
      }
      res.end();
    });
  };
  const server: Server = options.tls
    ? createTlsServer(SELF_SIGNED_TLS, handler)
    : createServer(handler);
  const scheme = options.tls ? 'https' : 'http';
  return {
    received,
    start: () =>
      new Promise<string>((r) =>
        server.listen(0, '127.0.0.1', () =>
          r(`${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`),
        ),
      ),
    stop: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections(); // a hanging request would keep close() waiting
      }),
  };
}

/** A port on 127.0.0.1 where nothing listens now (a connection there is refused). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
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

import * as crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { signatureHeader } from '../src/modules/webhooks/webhook-signature';

/*
 * The webhook receiver docs/api.md gives integrators (skipped by the doc check, which runs curl
 * blocks): run here on deliveries signed as the API signs them, its request handler called with
 * the body in chunks as a socket may deliver them.
 */

type Handler = (req: EventEmitter & { headers: Record<string, string> }, res: unknown) => void;

const SECRET = 'whsec_test';

/** The receiver's request handler, from the docs' block, with its server never listening. */
function receiverFromDocs(): Handler {
  const doc = readFileSync(join(__dirname, '..', 'docs', 'api.md'), 'utf8');
  const start = doc.indexOf('A receiver that verifies the signature');
  const block = /```js\n([\s\S]*?)```/.exec(doc.slice(start));
  if (start < 0 || !block) throw new Error('the receiver block is not in docs/api.md');
  let handler: Handler | undefined;
  const http = {
    createServer: (h: Handler) => ((handler = h), { listen: () => undefined }),
  };
  const modules: Record<string, unknown> = { 'node:crypto': crypto, 'node:http': http };
  const env = { ...process.env, HANDOFF_WEBHOOK_SECRET: SECRET };
  new Function('require', 'process', 'console', block[1])(
    (name: string) => modules[name],
    { ...process, env },
    { log: () => undefined },
  );
  if (!handler) throw new Error('the receiver block made no server');
  return handler;
}

/** What the handler answers to `chunks`, sent with `signature`. */
function deliver(handler: Handler, chunks: Buffer[], signature: string): Promise<number> {
  return new Promise((resolve) => {
    const req = Object.assign(new EventEmitter(), {
      headers: { 'handoff-signature': signature },
    });
    handler(req, { writeHead: (status: number) => ({ end: () => resolve(status) }) });
    for (const chunk of chunks) req.emit('data', chunk);
    req.emit('end');
  });
}

describe("the docs' webhook receiver", () => {
  const handler = receiverFromDocs();
  const now = () => Math.floor(Date.now() / 1000);
  const body = JSON.stringify({
    id: 'evt-1',
    type: 'ticket.resolved',
    createdAt: new Date().toISOString(),
    data: { ticketId: 't-1', data: { resolutionSummary: 'Remboursé 30 € — 払い戻し済み 👍' } },
  });

  it('accepts a delivery signed as the API signs it, whatever its chunks', async () => {
    const bytes = Buffer.from(body, 'utf8');
    const header = signatureHeader(SECRET, body, now());
    expect(await deliver(handler, [bytes], header)).toBe(204);
    // Split inside each multi-byte character in turn: a chunk read on its own garbles it.
    const splits = [...bytes.keys()].filter((i) => i > 0 && (bytes[i] & 0xc0) === 0x80);
    expect(splits.length).toBeGreaterThan(0);
    for (const at of splits) {
      const status = await deliver(handler, [bytes.subarray(0, at), bytes.subarray(at)], header);
      expect([at, status]).toEqual([at, 204]);
    }
  });

  it('refuses a changed body, another secret and an old timestamp', async () => {
    const bytes = Buffer.from(body, 'utf8');
    const changed = Buffer.from(body.replace('30 €', '300 €'), 'utf8');
    expect(await deliver(handler, [changed], signatureHeader(SECRET, body, now()))).toBe(400);
    expect(await deliver(handler, [bytes], signatureHeader('whsec_other', body, now()))).toBe(400);
    const old = now() - 600;
    expect(await deliver(handler, [bytes], signatureHeader(SECRET, body, old))).toBe(400);
    expect(await deliver(handler, [bytes], '')).toBe(400);
  });
});

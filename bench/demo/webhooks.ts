/**
 * The companies' webhook endpoint: a small local receiver that checks each delivery's signature
 * as docs/api.md shows, dedupes on the event id and counts events per company and type. The
 * demo narrates SLA breaches as they arrive here, like a company's support tooling would.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { CompanyKey } from './cast';

export interface WebhookEvent {
  id: string;
  type: string;
  data: Record<string, unknown> & { ticketId: string };
}

export class WebhookReceiver {
  readonly counts = new Map<CompanyKey, Map<string, number>>();
  badSignatures = 0;
  duplicates = 0;
  private readonly seen = new Set<string>();
  private readonly secrets = new Map<CompanyKey, string>();
  private server: Server | null = null;
  private port = 0;

  constructor(private readonly onEvent: (company: CompanyKey, event: WebhookEvent) => void) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (raw += chunk));
      req.on('end', () => {
        const company = (req.url ?? '').split('/').pop() as CompanyKey;
        const secret = this.secrets.get(company);
        const header = String(req.headers['handoff-signature'] ?? '');
        if (!secret || !verify(secret, raw, header)) {
          this.badSignatures += 1;
          res.writeHead(400).end();
          return;
        }
        const event = JSON.parse(raw) as WebhookEvent;
        res.writeHead(204).end();
        if (this.seen.has(event.id)) {
          this.duplicates += 1; // at-least-once delivery: a retry of one we already have
          return;
        }
        this.seen.add(event.id);
        const perType = this.counts.get(company) ?? new Map<string, number>();
        perType.set(event.type, (perType.get(event.type) ?? 0) + 1);
        this.counts.set(company, perType);
        this.onEvent(company, event);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  urlFor(company: CompanyKey): string {
    return `http://127.0.0.1:${this.port}/hooks/${company}`;
  }

  setSecret(company: CompanyKey, secret: string): void {
    this.secrets.set(company, secret);
  }

  total(company: CompanyKey): number {
    return [...(this.counts.get(company)?.values() ?? [])].reduce((a, b) => a + b, 0);
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }
}

/** HMAC-SHA256 over "<t>.<raw body>", compared in constant time; stale timestamps refused. */
function verify(secret: string, raw: string, header: string): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.trim().split('=', 2)));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${raw}`).digest();
  const given = Buffer.from(String(parts.v1 ?? ''), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

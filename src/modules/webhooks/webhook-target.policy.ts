import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { isIP } from 'node:net';
import { DomainError } from '../../common/errors/domain-error';
import { Env } from '../../config/env.validation';
import { addressRange } from './address-policy';
import { WebhookDnsError } from './webhook-delivery-error';
import { ResolvedAddress, WEBHOOK_RESOLVER, WebhookResolver } from './webhook-resolver';

const PUBLIC_ONLY = 'webhooks are only sent to public addresses';

/** The target will not become acceptable by retrying soon: the delivery fails for good. */
export class RefusedTargetError extends Error {
  constructor(
    message: string,
    /** For our logs only; the company's delivery log does not show what our DNS answered. */
    readonly address?: string,
  ) {
    super(message);
    this.name = 'RefusedTargetError';
  }
}

// Names that mean "this machine" or "the cloud's metadata service" whatever DNS says, and
// names without a dot, which a system resolver would complete with the local search domains (ours,
// c-ares, does not; they are refused all the same: no public service is reached by one).
function refusedName(host: string): string | null {
  if (host === 'localhost' || host.endsWith('.localhost')) return 'a loopback name';
  // .internal is reserved for private use (ICANN, 2024): metadata.google.internal and the like
  if (host === 'internal' || host.endsWith('.internal')) return 'an internal name';
  if (host.endsWith('.local') || host.endsWith('.home.arpa')) return 'a local network name';
  if (!host.includes('.')) return 'a name without a domain';
  return null;
}

/**
 * Where a webhook may be sent (issue 11): only to public unicast addresses, checked when the
 * URL is set and again, on the resolved addresses, before every delivery (DNS rebinding).
 * WEBHOOK_ALLOW_PRIVATE_URLS lifts the address rules for local receivers; credentials in a URL
 * are refused always (they would sit in our database and logs, and are a redirect trick).
 */
@Injectable()
export class WebhookTargetPolicy {
  private readonly allowPrivate: boolean;
  private readonly httpsOnly: boolean;

  constructor(
    @Inject(WEBHOOK_RESOLVER) private readonly resolve: WebhookResolver,
    config: ConfigService<Env, true>,
  ) {
    // Never on in production: validateEnv refuses it there.
    this.allowPrivate = config.get('WEBHOOK_ALLOW_PRIVATE_URLS', { infer: true });
    // A webhook carries the customers' conversations (messages, resolution summaries); its
    // signature proves who sent it but hides nothing on the way. Plain http stays for local
    // receivers in development and tests.
    this.httpsOnly = config.get('NODE_ENV', { infer: true }) === 'production';
  }

  /** When a company sets its URL: a 400 naming `url`, or nothing. */
  async checkOnSet(text: string): Promise<void> {
    const refuse = (message: string) =>
      DomainError.validation([{ field: 'url', messages: [message] }]);
    // The DTO checked it is an http(s) URL by its own rules; WHATWG's parser, which every
    // delivery uses, refuses a few hosts those allow (noncharacters such as U+FDD0).
    if (!URL.canParse(text)) throw refuse('url must be a URL this server can parse');
    const url = new URL(text);
    const problem = this.staticProblem(url);
    if (problem) throw refuse(`url ${problem}`);
    if (this.httpsOnly && url.protocol !== 'https:') {
      throw refuse(
        "url must be https: a webhook carries your customers' conversations, which http would expose on the way",
      );
    }
    if (this.allowPrivate || isIP(hostOf(url))) return;
    let found: ResolvedAddress[];
    try {
      found = await this.resolve(hostOf(url));
    } catch {
      // A name that does not resolve yet (DNS not published, a resolver hiccup) is accepted:
      // refusing it would protect nothing, since every delivery resolves and checks again.
      return;
    }
    // The addresses stay unsaid: the answer of our resolver is not the company's business.
    if (found.some((a) => addressRange(a.address) !== 'public')) {
      throw refuse(`url's host ${hostOf(url)} resolves to a non-public address; ${PUBLIC_ONLY}`);
    }
  }

  /**
   * Before each delivery: the one address to connect to, checked. Throws RefusedTargetError
   * when the URL or any address the name has now is not allowed; a failed lookup throws
   * WebhookDnsError (it may resolve on a later attempt).
   */
  async addressFor(url: URL): Promise<ResolvedAddress> {
    const problem = this.staticProblem(url);
    if (problem) throw new RefusedTargetError(`refused: the URL ${problem}`);
    const host = hostOf(url);
    const family = isIP(host);
    if (family) return { address: host, family: family === 6 ? 6 : 4 };
    let found: ResolvedAddress[];
    try {
      found = await this.resolve(host);
    } catch (e) {
      throw new WebhookDnsError(host, e);
    }
    if (found.length === 0) {
      throw new WebhookDnsError(host, Object.assign(new Error('no address'), { code: 'ENODATA' }));
    }
    if (!this.allowPrivate) {
      const bad = found.find((a) => addressRange(a.address) !== 'public');
      if (bad) {
        const range = addressRange(bad.address);
        throw new RefusedTargetError(
          `refused: ${host} resolves to a non-public address (${range}); ${PUBLIC_ONLY}`,
          bad.address,
        );
      }
    }
    return found[0];
  }

  /** What is wrong with the URL itself (no DNS needed), or null. */
  private staticProblem(url: URL): string | null {
    if (url.username || url.password) return 'must not contain credentials (user:password@)';
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be http(s)';
    if (this.allowPrivate) return null;
    const host = hostOf(url);
    if (isIP(host)) {
      const range = addressRange(host);
      return range === 'public'
        ? null
        : `must point to a public address, not a ${range} address (${host})`;
    }
    const name = refusedName(host);
    return name ? `must point to a public address, not ${name} (${host})` : null;
  }
}

/** The host as the WHATWG parser normalised it (127.1 → 127.0.0.1), without [] or a final dot. */
function hostOf(url: URL): string {
  const h = url.hostname;
  return h.startsWith('[') ? h.slice(1, -1) : h.replace(/\.$/, '');
}

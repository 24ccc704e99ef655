import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Turns a host name into every address it has; rejects when it has none. */
export type WebhookResolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** Provider token: tests replace the resolver so no test depends on real DNS. */
export const WEBHOOK_RESOLVER = Symbol('WEBHOOK_RESOLVER');

// c-ares bounds each try itself, but doubles the timeout (with jitter) when it asks the same
// server again and Node checks for expired tries on a timer (period: the timeout, at most 1 s),
// so with 1000 ms × 2 tries it gives up after 2–4 s. Past this we stop waiting; the query needs
// no thread and c-ares still ends it by its own bound.
const RESOLVE_TIMEOUT_MS = 3000;

// The answers that mean "the server answered: no such name / no address of this family". Any
// other failure (ETIMEOUT, ESERVFAIL, ECONNREFUSED…) says the server did not really answer.
const NO_ANSWER_CODES = ['ENODATA', 'ENOTFOUND'];

const codeOf = (e: unknown): string | undefined =>
  e && typeof e === 'object' && 'code' in e && typeof e.code === 'string' ? e.code : undefined;

/** Of two failures, the one that says more: a server that did not answer beats "no such name". */
function worseOf(a: unknown, b: unknown): unknown {
  const rank = (e: unknown) => {
    const i = NO_ANSWER_CODES.indexOf(codeOf(e) ?? '');
    return i === -1 ? 0 : i + 1; // other codes, then ENODATA, then ENOTFOUND
  };
  return rank(b) < rank(a) ? b : a;
}

export interface CAresResolverOptions {
  /** Name servers ("ip" or "ip:port"); default: those of /etc/resolv.conf. */
  servers?: string[];
  /** Timeout of one try, in ms (c-ares doubles it when it retries the same server). */
  timeoutMs?: number;
  /** Tries per name server. */
  tries?: number;
}

/**
 * A resolver that queries DNS with c-ares (`dns.promises.Resolver`), A and AAAA in parallel.
 *
 * Why not `dns.lookup()` (getaddrinfo, what other HTTP clients use): getaddrinfo blocks one of
 * libuv's 4 pool threads for as long as the system resolver waits, and a timeout around it only
 * stops *us* waiting. A company whose name server drops queries could park all 4 threads for
 * the system resolver's full timeout, and every login's argon2 hash (also on the pool) would
 * queue behind them. c-ares does its network I/O on the event loop and holds no pool thread.
 *
 * c-ares does not read /etc/hosts and does not append search domains: fine, loopback, private
 * and dotless names are refused by WebhookTargetPolicy before any lookup. IP literals never
 * reach a resolver from the policy; one given here is returned as is, without a query.
 *
 * One Resolver (one c-ares channel) serves every call: it reads the system configuration once,
 * reuses its sockets and keeps its per-server statistics. Per-call instances would only allow
 * cancelling one query, which is not needed since c-ares bounds every query itself. (A change
 * of /etc/resolv.conf is seen after a restart.)
 */
export function cAresResolver(options: CAresResolverOptions = {}): WebhookResolver {
  const timeoutMs = options.timeoutMs ?? 1000;
  const tries = options.tries ?? 2;
  const resolver = new dns.Resolver({ timeout: timeoutMs, tries });
  if (options.servers) resolver.setServers(options.servers);
  const backstopMs = Math.max(RESOLVE_TIMEOUT_MS, timeoutMs * tries);

  const query = async (hostname: string): Promise<ResolvedAddress[]> => {
    const [v4, v6] = await Promise.allSettled([
      resolver.resolve4(hostname),
      resolver.resolve6(hostname),
    ]);
    const found: ResolvedAddress[] = [
      ...(v4.status === 'fulfilled' ? v4.value : []).map((address) => ({
        address,
        family: 4 as const,
      })),
      ...(v6.status === 'fulfilled' ? v6.value : []).map((address) => ({
        address,
        family: 6 as const,
      })),
    ];
    // Addresses of one family are enough even if the other's query failed (many name servers
    // mishandle AAAA): the delivery connects only to addresses the policy checked, these.
    if (found.length > 0) return found;
    const failures = [v4, v6].flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    if (failures.length > 0) throw failures.reduce(worseOf);
    throw Object.assign(new Error(`${hostname} has no address`), { code: 'ENODATA' });
  };

  return async (hostname) => {
    const family = isIP(hostname);
    if (family) return [{ address: hostname, family: family === 6 ? 6 : 4 }];
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        // ETIMEOUT: the code c-ares gives the same failure.
        () =>
          reject(Object.assign(new Error(`resolving ${hostname} timed out`), { code: 'ETIMEOUT' })),
        backstopMs,
      );
    });
    try {
      return await Promise.race([query(hostname), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
}

/** The resolver of the service: the system's name servers, bounded in time (see above). */
export const systemResolver: WebhookResolver = cAresResolver();

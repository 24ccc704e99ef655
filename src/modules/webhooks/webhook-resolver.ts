import { lookup } from 'node:dns/promises';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Turns a host name into every address it has; rejects when it has none. */
export type WebhookResolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** Provider token: tests replace the resolver so no test depends on real DNS. */
export const WEBHOOK_RESOLVER = Symbol('WEBHOOK_RESOLVER');

// getaddrinfo cannot be cancelled; past this we stop waiting for it (it finishes unobserved).
const RESOLVE_TIMEOUT_MS = 3000;

/** The system resolver (as any other HTTP client would use), bounded in time. */
export const systemResolver: WebhookResolver = async (hostname) => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      // ETIMEOUT: the code the c-ares resolver gives the same failure.
      () =>
        reject(Object.assign(new Error(`resolving ${hostname} timed out`), { code: 'ETIMEOUT' })),
      RESOLVE_TIMEOUT_MS,
    );
  });
  try {
    const found = await Promise.race([lookup(hostname, { all: true, verbatim: true }), timeout]);
    return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
  } finally {
    clearTimeout(timer);
  }
};

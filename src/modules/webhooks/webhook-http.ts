import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { ClosedWithoutAnswerError, WebhookTimeoutError } from './webhook-delivery-error';
import { ResolvedAddress } from './webhook-resolver';

/**
 * POSTs `body` to `url`, connecting only to `pinned` (an address the policy checked): the name
 * is not looked up again, so DNS cannot swap in another address between check and connect. The
 * Host header, TLS server name and certificate check still use the URL's name. Redirects are
 * not followed (node:http never does). Resolves with the status code once headers arrive.
 */
export function postPinned(
  url: URL,
  pinned: ResolvedAddress,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<number> {
  const lookup: LookupFunction = (_hostname, options, callback) => {
    if (options.all) callback(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<number>((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
        lookup,
        agent: false, // a fresh connection each time: never a pooled socket to another address
      },
      (res) => {
        resolve(res.statusCode ?? 0);
        res.destroy(); // the receiver's body is of no use to us
      },
    );
    const timer = setTimeout(() => req.destroy(new WebhookTimeoutError(timeoutMs)), timeoutMs);
    // A 101 with `Upgrade` comes as 'upgrade', never 'response': an answer (not a 2xx).
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 101);
    });
    // Settled however the request ends (Node closes an upgrade it has no listener for with no
    // 'error'): a promise left pending held its job and its company's delivery slot for good.
    // After an answer or an error this changes nothing.
    req.on('close', () => {
      clearTimeout(timer);
      reject(new ClosedWithoutAnswerError());
    });
    req.on('error', reject);
    req.end(body);
  });
}

import {
  describeNetworkError,
  statusFailure,
  WebhookDnsError,
  WebhookTimeoutError,
} from './webhook-delivery-error';

const nodeError = (message: string, code: string) => Object.assign(new Error(message), { code });
const https = new URL('https://hooks.example/h');
const http = new URL('http://hooks.example:8080/h');

describe('describeNetworkError: names what went wrong, never "fetch failed"', () => {
  it.each([
    [
      'a refused connection',
      nodeError('connect ECONNREFUSED 93.184.216.34:443', 'ECONNREFUSED'),
      https,
      { kind: 'connection_refused', message: 'connection refused by hooks.example:443' },
    ],
    [
      'a reset before the answer',
      nodeError('socket hang up', 'ECONNRESET'),
      http,
      {
        kind: 'connection_reset',
        message: 'connection to hooks.example:8080 closed before an answer (ECONNRESET)',
      },
    ],
    [
      'no route',
      nodeError('connect EHOSTUNREACH 93.184.216.34:443', 'EHOSTUNREACH'),
      https,
      { kind: 'unreachable', message: 'hooks.example:443 unreachable (EHOSTUNREACH)' },
    ],
    [
      'our timeout',
      new WebhookTimeoutError(10_000),
      https,
      { kind: 'timeout', message: 'timeout after 10000 ms: no answer from hooks.example:443' },
    ],
    [
      'an expired certificate',
      nodeError('certificate has expired', 'CERT_HAS_EXPIRED'),
      https,
      {
        kind: 'tls',
        message:
          'TLS: certificate of hooks.example:443 refused: certificate has expired (CERT_HAS_EXPIRED)',
      },
    ],
    [
      'a certificate for another name',
      nodeError(
        "Hostname/IP does not match certificate's altnames",
        'ERR_TLS_CERT_ALTNAME_INVALID',
      ),
      https,
      {
        kind: 'tls',
        message:
          'TLS: the certificate of hooks.example:443 is not valid for hooks.example (ERR_TLS_CERT_ALTNAME_INVALID)',
      },
    ],
    [
      'https to a plain http port',
      nodeError(
        'write EPROTO 80FC:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/ssl/record/ssl3_record.c:350:\n',
        'EPROTO',
      ),
      https,
      {
        kind: 'tls',
        message: 'TLS: handshake with hooks.example:443 failed: wrong version number (EPROTO)',
      },
    ],
    [
      'a name not found',
      new WebhookDnsError('hooks.example', nodeError('getaddrinfo ENOTFOUND', 'ENOTFOUND')),
      https,
      { kind: 'dns', message: 'DNS: hooks.example not found (ENOTFOUND)' },
    ],
    [
      'a resolver hiccup',
      new WebhookDnsError('hooks.example', nodeError('getaddrinfo EAI_AGAIN', 'EAI_AGAIN')),
      https,
      { kind: 'dns', message: 'DNS: looking up hooks.example failed for now (EAI_AGAIN)' },
    ],
    [
      'a name server that failed (c-ares ESERVFAIL)',
      new WebhookDnsError(
        'hooks.example',
        nodeError('queryA ESERVFAIL hooks.example', 'ESERVFAIL'),
      ),
      https,
      { kind: 'dns', message: 'DNS: looking up hooks.example failed for now (ESERVFAIL)' },
    ],
    [
      'a name server that refused the query (c-ares EREFUSED)',
      new WebhookDnsError('hooks.example', nodeError('queryA EREFUSED hooks.example', 'EREFUSED')),
      https,
      { kind: 'dns', message: 'DNS: looking up hooks.example failed for now (EREFUSED)' },
    ],
    [
      'a name server that could not be reached (c-ares ECONNREFUSED)',
      new WebhookDnsError(
        'hooks.example',
        nodeError('queryA ECONNREFUSED hooks.example', 'ECONNREFUSED'),
      ),
      https,
      { kind: 'dns', message: 'DNS: looking up hooks.example failed for now (ECONNREFUSED)' },
    ],
    [
      'a resolver too slow',
      new WebhookDnsError('hooks.example', nodeError('resolving timed out', 'ETIMEOUT')),
      https,
      { kind: 'dns', message: 'DNS: looking up hooks.example timed out (ETIMEOUT)' },
    ],
    [
      'a name without addresses',
      new WebhookDnsError('hooks.example', nodeError('no address', 'ENODATA')),
      https,
      { kind: 'dns', message: 'DNS: hooks.example has no address (ENODATA)' },
    ],
    [
      'anything else',
      nodeError('Parse Error: Invalid header value char', 'HPE_INVALID_HEADER_TOKEN'),
      http,
      {
        kind: 'network',
        message:
          'could not reach hooks.example:8080: Parse Error: Invalid header value char (HPE_INVALID_HEADER_TOKEN)',
      },
    ],
  ])('%s', (_, error, url, expected) => {
    expect(describeNetworkError(error, url)).toEqual(expected);
  });
});

describe('statusFailure', () => {
  it('passes 2xx, names 3xx as refused redirects and anything else as the status', () => {
    expect(statusFailure(204)).toBeNull();
    expect(statusFailure(301)).toEqual({
      kind: 'redirect',
      message: 'receiver answered 301; redirects are not followed',
    });
    expect(statusFailure(503)).toEqual({ kind: 'http_status', message: 'receiver answered 503' });
    expect(statusFailure(101)).toEqual({ kind: 'http_status', message: 'receiver answered 101' });
  });
});

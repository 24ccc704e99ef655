import type { ConfigService } from '@nestjs/config';
import { DomainError } from '../../common/errors/domain-error';
import type { Env } from '../../config/env.validation';
import { WebhookResolver } from './webhook-resolver';
import { RefusedTargetError, WebhookTargetPolicy } from './webhook-target.policy';

const dns = new Map<string, string[]>();
const resolver: WebhookResolver = async (host) => {
  const found = dns.get(host);
  if (!found) throw new Error(`getaddrinfo ENOTFOUND ${host}`);
  return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

function policy(allowPrivate = false, nodeEnv: Env['NODE_ENV'] = 'test'): WebhookTargetPolicy {
  const values: Partial<Env> = { WEBHOOK_ALLOW_PRIVATE_URLS: allowPrivate, NODE_ENV: nodeEnv };
  const config = { get: (k: keyof Env) => values[k] } as unknown as ConfigService<Env, true>;
  return new WebhookTargetPolicy(resolver, config);
}

async function refusal(url: string, p = policy()): Promise<string> {
  try {
    await p.checkOnSet(url);
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    const { fields } = (e as DomainError).details as {
      fields: { field: string; messages: string[] }[];
    };
    expect(fields).toHaveLength(1);
    expect(fields[0].field).toBe('url');
    return fields[0].messages[0];
  }
  throw new Error(`${url} was accepted`);
}

describe('WebhookTargetPolicy', () => {
  beforeEach(() => dns.clear());

  it.each([
    ['http://127.1/', /loopback address \(127\.0\.0\.1\)/],
    ['http://2130706433/', /loopback/], // decimal
    ['http://017700000001/', /loopback/], // octal
    ['http://0x7f000001/', /loopback/], // hex
    ['http://0x7f.0.0.1/', /loopback/],
    ['http://0/', /unspecified/],
    ['http://[::ffff:127.0.0.1]/', /IPv4-mapped loopback/],
    ['http://[::ffff:a9fe:a9fe]/', /IPv4-mapped link-local/],
    ['http://[0:0:0:0:0:0:0:1]/', /loopback/],
    ['http://0xa9.0xfe.0xa9.0xfe/', /link-local/], // 169.254.169.254 in hex
    ['http://localhost./', /loopback name/],
    ['http://Api.LocalHost:8080/', /loopback name/],
    ['http://metadata.google.internal./', /internal name/],
    ['http://printer.local/', /local network name/],
    ['http://intranet/', /without a domain/],
  ])('refuses %s at set time', async (url, message) => {
    expect(await refusal(url)).toMatch(message);
  });

  it('takes only https URLs in production, where a company sets its webhook for real', async () => {
    dns.set('hooks.acme.example', ['93.184.216.34']);
    const production = policy(false, 'production');
    expect(await refusal('http://hooks.acme.example/h', production)).toMatch(
      /^url must be https: a webhook carries your customers' conversations/,
    );
    expect(await refusal('http://93.184.216.34/h', production)).toMatch(/^url must be https/);
    await expect(production.checkOnSet('https://hooks.acme.example/h')).resolves.toBeUndefined();
    // Elsewhere plain http stays, for a receiver on the developer's own machine or network.
    await expect(policy().checkOnSet('http://hooks.acme.example/h')).resolves.toBeUndefined();
  });

  it('refuses names that resolve to a non-public address, without saying which', async () => {
    dns.set('internal.example', ['93.184.216.34', '10.0.0.8']);
    const message = await refusal('https://internal.example/h');
    expect(message).toMatch(/internal\.example resolves to a non-public address/);
    expect(message).not.toContain('10.0.0.8');
  });

  it('accepts public addresses, and names that resolve to them or not at all', async () => {
    dns.set('public.example', ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946']);
    const p = policy();
    await expect(p.checkOnSet('https://public.example/h')).resolves.toBeUndefined();
    await expect(p.checkOnSet('https://nowhere.example/h')).resolves.toBeUndefined();
    await expect(p.checkOnSet('https://93.184.216.34:8443/h')).resolves.toBeUndefined();
  });

  it('with WEBHOOK_ALLOW_PRIVATE_URLS, allows every address but never credentials', async () => {
    const p = policy(true);
    await expect(p.checkOnSet('http://127.0.0.1:9/h')).resolves.toBeUndefined();
    await expect(p.checkOnSet('http://localhost/h')).resolves.toBeUndefined();
    expect(await refusal('http://u:p@127.0.0.1/h', p)).toMatch(/credentials/);
    expect(await refusal('https://:p@public.example/h', p)).toMatch(/credentials/);
    dns.set('hooks.example', ['127.0.0.1']);
    await expect(p.addressFor(new URL('http://hooks.example/h'))).resolves.toEqual({
      address: '127.0.0.1',
      family: 4,
    });
  });

  describe('at delivery', () => {
    it('gives the address to connect to, once every address of the name passed', async () => {
      dns.set('rebind.example', ['93.184.216.34']);
      const p = policy();
      const url = new URL('https://rebind.example/h');
      await expect(p.addressFor(url)).resolves.toEqual({ address: '93.184.216.34', family: 4 });
      dns.set('rebind.example', ['93.184.216.34', '127.0.0.1']);
      await expect(p.addressFor(url)).rejects.toThrow(RefusedTargetError);
      dns.set('rebind.example', ['::ffff:169.254.169.254']);
      await expect(p.addressFor(url)).rejects.toThrow(
        /non-public address \(IPv4-mapped link-local\)/,
      );
    });

    it('refuses stored URLs never checked; a failed lookup is only an error', async () => {
      const p = policy();
      await expect(p.addressFor(new URL('http://169.254.169.254/'))).rejects.toThrow(
        RefusedTargetError,
      );
      await expect(p.addressFor(new URL('http://u:p@93.184.216.34/'))).rejects.toThrow(
        /credentials/,
      );
      const lookupFailure = p.addressFor(new URL('https://gone.example/'));
      await expect(lookupFailure).rejects.toThrow(/ENOTFOUND/);
      await expect(lookupFailure).rejects.not.toThrow(RefusedTargetError);
      await expect(p.addressFor(new URL('https://[2606:2800:220:1::1]/'))).resolves.toEqual({
        address: '2606:2800:220:1::1',
        family: 6,
      });
    });
  });
});

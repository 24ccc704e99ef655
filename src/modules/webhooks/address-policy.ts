import ipaddr from 'ipaddr.js';
import { isIP } from 'node:net';

// ipaddr.js range names, as the refusal messages say them. Any other non-unicast range
// (AMT, AS112, ORCHID, benchmarking, segment routing…) is simply "reserved".
const LABELS: Record<string, string> = {
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade NAT',
  private: 'private',
  uniqueLocal: 'unique-local',
  deprecatedSiteLocal: 'site-local',
  discard: 'discard',
  '6to4': '6to4',
  teredo: 'Teredo',
};

// Global unicast IPv6 is 2000::/3; nothing outside it is a public host (e.g. ::a.b.c.d, the
// deprecated IPv4-compatible form, which ipaddr.js calls unicast).
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');
// The well-known NAT64 prefix carries the IPv4 address in its last 32 bits; DNS64 answers with
// it on IPv6-only networks, so a public address inside it must pass.
const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96');

function embeddedV4(v6: ipaddr.IPv6): string {
  return addressRange(ipaddr.fromByteArray(v6.toByteArray().slice(12)).toString());
}

/**
 * 'public' for a public unicast address, else what it is ('loopback', 'IPv4-mapped private',
 * 'not an IP address'…). Only canonical text passes as an address: the WHATWG URL parser and
 * the resolver both produce it, so "127.1" or "0x7f000001" here means a caller skipped them.
 */
export function addressRange(text: string): string {
  if (isIP(text) === 0) return 'not an IP address';
  const address = ipaddr.parse(text);
  if (address.kind() === 'ipv4') {
    const range = address.range();
    return range === 'unicast' ? 'public' : (LABELS[range] ?? 'reserved');
  }
  const v6 = address as ipaddr.IPv6;
  const range = v6.range();
  if (range === 'ipv4Mapped') return prefixed('IPv4-mapped', embeddedV4(v6));
  if (range === 'rfc6145') return prefixed('IPv4-translated', embeddedV4(v6));
  if (range === 'rfc6052') {
    return v6.match(NAT64_WELL_KNOWN) ? prefixed('NAT64', embeddedV4(v6)) : 'local-use NAT64';
  }
  if (range !== 'unicast') return LABELS[range] ?? 'reserved';
  return v6.match(GLOBAL_UNICAST_V6) ? 'public' : 'reserved';
}

function prefixed(form: string, inner: string): string {
  return inner === 'public' ? 'public' : `${form} ${inner}`;
}

/** Only public unicast addresses may receive webhooks. */
export function isPublicAddress(text: string): boolean {
  return addressRange(text) === 'public';
}

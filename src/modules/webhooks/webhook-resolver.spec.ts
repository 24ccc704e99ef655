import { pbkdf2 } from 'node:crypto';
import { createSocket, RemoteInfo, Socket } from 'node:dgram';
import { cAresResolver, WebhookResolver } from './webhook-resolver';

const A = 1;
const AAAA = 28;

// What the test name server knows; any other name is NXDOMAIN, and DROPPED is never answered.
const RECORDS: Record<string, { [A]?: string[]; [AAAA]?: string[] }> = {
  'both.test': { [A]: ['203.0.113.10', '203.0.113.11'], [AAAA]: ['2001:db8::10'] },
  'v4only.test': { [A]: ['203.0.113.20'] },
  'noaaaa.test': { [A]: ['203.0.113.30'] },
};
const DROPPED = 'blackhole.test';
// A name server that never answers AAAA queries for this name (some mishandle them).
const AAAA_DROPPED = 'noaaaa.test';

function ipv6Bytes(address: string): Buffer {
  const [head, tail = ''] = address.split('::');
  const groups = (s: string) => (s ? s.split(':') : []);
  const left = groups(head);
  const right = groups(tail);
  const all = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return Buffer.from(all.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
}

/** A minimal DNS server (RFC 1035): one question per query, A and AAAA answers only. */
function answer(query: Buffer): Buffer | null {
  let offset = 12;
  const labels: string[] = [];
  while (query[offset] !== 0) {
    const length = query[offset];
    labels.push(query.toString('latin1', offset + 1, offset + 1 + length));
    offset += 1 + length;
  }
  offset += 1;
  const qtype = query.readUInt16BE(offset);
  const question = query.subarray(12, offset + 4); // QNAME, QTYPE, QCLASS, echoed as they came
  const name = labels.join('.').toLowerCase();
  if (name === DROPPED) return null;
  if (name === AAAA_DROPPED && qtype === AAAA) return null;

  const records = RECORDS[name];
  const rdatas =
    qtype === A || qtype === AAAA
      ? (records?.[qtype] ?? []).map((a) =>
          qtype === A ? Buffer.from(a.split('.').map(Number)) : ipv6Bytes(a),
        )
      : [];
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2); // ID
  const rd = query[2] & 0x01;
  header[2] = 0x80 | rd; // QR, opcode 0, RD as asked
  header[3] = 0x80 | (records ? 0 : 3); // RA, RCODE NOERROR or NXDOMAIN
  header.writeUInt16BE(1, 4); // QDCOUNT
  header.writeUInt16BE(rdatas.length, 6); // ANCOUNT (0 for a name without this type: NODATA)
  const answers = rdatas.map((rdata) => {
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // name: pointer to the question's QNAME
    rr.writeUInt16BE(qtype, 2);
    rr.writeUInt16BE(1, 4); // class IN
    rr.writeUInt32BE(60, 6); // TTL
    rr.writeUInt16BE(rdata.length, 10);
    return Buffer.concat([rr, rdata]);
  });
  return Buffer.concat([header, question, ...answers]);
}

describe('cAresResolver', () => {
  let server: Socket;
  let servers: string[];
  let queries = 0;

  beforeAll(async () => {
    server = createSocket('udp4');
    server.on('message', (msg: Buffer, from: RemoteInfo) => {
      queries += 1;
      const reply = answer(msg);
      if (reply) server.send(reply, from.port, from.address);
    });
    await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
    servers = [`127.0.0.1:${server.address().port}`];
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(resolve));
  });

  const resolverFor = (timeoutMs = 1000, tries = 1): WebhookResolver =>
    cAresResolver({ servers, timeoutMs, tries });

  it('returns the A then the AAAA addresses of a name that has both', async () => {
    await expect(resolverFor()('both.test')).resolves.toEqual([
      { address: '203.0.113.10', family: 4 },
      { address: '203.0.113.11', family: 4 },
      { address: '2001:db8::10', family: 6 },
    ]);
  });

  it('returns only the A address of a name without AAAA records (NODATA is no error)', async () => {
    await expect(resolverFor()('v4only.test')).resolves.toEqual([
      { address: '203.0.113.20', family: 4 },
    ]);
  });

  it('returns the A addresses when the AAAA query times out (the policy checks what it connects to)', async () => {
    await expect(resolverFor(200, 1)('noaaaa.test')).resolves.toEqual([
      { address: '203.0.113.30', family: 4 },
    ]);
  });

  it('rejects an unknown name with ENOTFOUND', async () => {
    await expect(resolverFor()('nowhere.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('answers an IP literal without a query', async () => {
    const before = queries;
    await expect(resolverFor()('2001:db8::1')).resolves.toEqual([
      { address: '2001:db8::1', family: 6 },
    ]);
    expect(queries).toBe(before);
  });

  it('gives up on a dropped name by its own bound, without holding a thread-pool thread', async () => {
    const resolve = resolverFor(200, 1);
    const events: string[] = [];
    // 8 lookups of a name whose server never answers: twice the 4 threads of libuv's pool.
    const lookups = Array.from({ length: 8 }, () =>
      resolve(DROPPED).then(
        () => {
          events.push('lookup resolved');
          return null;
        },
        (e: unknown) => {
          events.push('lookup rejected');
          return e;
        },
      ),
    );
    // pbkdf2, like argon2, runs on the pool. The old resolver called getaddrinfo (dns.lookup),
    // which holds a pool thread until the system resolver gives up: 8 such lookups would occupy
    // all 4 threads, and these hashes would finish only after the lookups, so after the first
    // one was rejected. getaddrinfo cannot be pointed at this server, so that is not shown
    // here; this checks that with c-ares the pool stays free while lookups are pending.
    const hashes = Array.from(
      { length: 4 },
      (_, i) =>
        new Promise<void>((done, fail) =>
          pbkdf2(`password ${i}`, 'salt', 1000, 32, 'sha256', (err) => {
            if (err) return fail(err);
            events.push('pbkdf2');
            done();
          }),
        ),
    );

    const errors = await Promise.all(lookups);
    await Promise.all(hashes);

    expect(events).toEqual([
      ...Array<string>(4).fill('pbkdf2'),
      ...Array<string>(8).fill('lookup rejected'),
    ]);
    for (const e of errors) {
      // c-ares's own timeout (queryA …), not the 3 s backstop around it.
      expect(e).toMatchObject({ code: 'ETIMEOUT', syscall: 'queryA', hostname: DROPPED });
    }
  });
});

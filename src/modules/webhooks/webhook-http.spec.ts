import { AddressInfo, createServer, Server, Socket } from 'node:net';
import { postPinned } from './webhook-http';

/** A raw TCP receiver that answers every connection with `reply` (and keeps it open). */
async function receiver(reply: string): Promise<{ server: Server; url: URL }> {
  const server = createServer((socket) => {
    opened.add(socket);
    socket.on('error', () => undefined);
    socket.once('data', () => socket.write(reply));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: new URL(`http://127.0.0.1:${port}/hook`) };
}
const opened = new Set<Socket>();

const post = (url: URL, timeoutMs: number) =>
  postPinned(url, { address: '127.0.0.1', family: 4 }, {}, '{"id":"evt"}', timeoutMs);

describe('postPinned', () => {
  let server: Server | undefined;
  afterEach(async () => {
    opened.forEach((socket) => socket.destroy());
    opened.clear();
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  });

  it('settles on a 101 Switching Protocols with Upgrade (it hung for good: no response, no error)', async () => {
    const r = await receiver(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
    );
    server = r.server;
    // Within the timeout, as an answer that is not a 2xx.
    await expect(post(r.url, 5_000)).resolves.toBe(101);
  });

  it('answers a plain status as it came', async () => {
    const r = await receiver('HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n');
    server = r.server;
    await expect(post(r.url, 5_000)).resolves.toBe(204);
  });

  it('fails a connection closed before an answer', async () => {
    const r = await receiver('HTTP/1.1 2');
    server = r.server;
    const answer = post(r.url, 5_000);
    while (opened.size === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    // Its partial status line written, then closed.
    await new Promise((resolve) => setTimeout(resolve, 50));
    opened.forEach((socket) => socket.end());
    await expect(answer).rejects.toMatchObject({ code: expect.stringMatching(/^E/) });
  });

  it('times out a receiver that never answers', async () => {
    const r = await receiver('');
    server = r.server;
    await expect(post(r.url, 300)).rejects.toThrow('timed out after 300 ms');
  });
});

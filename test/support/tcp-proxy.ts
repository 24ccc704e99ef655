import { createConnection, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy to a local port whose open connections can be frozen: from `freeze()` on, they
 * pass nothing either way and stay open, as through a partition that sends no reset (a
 * failover that left the old socket half-open). Connections made after it pass as usual.
 */
export async function startTcpProxy(targetPort: number): Promise<{
  port: number;
  freeze(): void;
  close(): Promise<void>;
}> {
  const open = new Set<{ client: Socket; upstream: Socket; frozen: boolean }>();
  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    const pair = { client, upstream, frozen: false };
    open.add(pair);
    client.on('data', (d) => pair.frozen || upstream.write(d));
    upstream.on('data', (d) => pair.frozen || client.write(d));
    const end = () => {
      open.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    freeze: () => open.forEach((pair) => (pair.frozen = true)),
    close: async () => {
      open.forEach((pair) => (pair.client.destroy(), pair.upstream.destroy()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

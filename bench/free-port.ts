import { createServer } from 'node:net';

/**
 * Ports handed out here lie below Linux's ephemeral range (32768–60999), which the OS picks from
 * for a `listen(0)` and for outgoing connections. A port found free by a `listen(0)` is one the
 * OS may hand the next process asking for any port: another suite's API started with PORT=0
 * took it between the check and the bind, answered this one's health probe, and the API meant
 * for the port died of EADDRINUSE (a demo run in CI failed so).
 */
const LOW = 20_000;
const HIGH = 32_000;

/** A port on 127.0.0.1 that was free a moment ago, outside the range the OS hands out. */
export async function freePort(): Promise<number> {
  for (let tries = 0; ; tries++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (await bindable(port)) return port;
    if (tries > 100) throw new Error(`no free port found in ${LOW}–${HIGH}`);
  }
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

import type { ServerResponse } from 'node:http';
import { EventRow, EventScope } from './events.repository';
import { inScope } from './events.service';
import { toEventDto } from './event.mapper';

export interface EventStreamOptions {
  scope: EventScope;
  /** The user or API key behind the stream (logout and suspension end its streams). */
  subject: string;
  heartbeatMs: number;
  maxBehind: number;
  maxBehindBytes: number;
  /** When the credential expires (ms since the epoch), if it does. */
  expiresAt: number | null;
  /** When the user's access token was issued (epoch seconds); null for an API key. */
  issuedAt: number | null;
  /** Events up to this id are the client's already (its Last-Event-ID): never written. */
  afterId: number;
}

/** How long an ended stream may take to flush before its socket is destroyed. */
const END_FLUSH_MS = 2_000;

export type StreamEndReason =
  'token_expired' | 'too_slow' | 'shutdown' | 'session_ended' | 'closed';

/**
 * One open `text/event-stream` answer. Live events are queued while the replay runs, then
 * written after it: the hub hands this stream only events after the head it reported when the
 * stream registered, and the replay reads the database up to that head, so nothing is missed or
 * sent twice. A reader whose socket does not take what is written (more than maxBehind events
 * or maxBehindBytes waiting) is cut off instead of buffered without bound: it reconnects with
 * Last-Event-ID and catches up from the database.
 */
export class EventStream {
  private replaying = true;
  private queued: EventRow[] = [];
  private behind = 0;
  /** Bytes written by goLive, not counted against maxBehindBytes until the socket drains. */
  private exempt = 0;
  private heartbeat: NodeJS.Timeout;
  private expiry: NodeJS.Timeout | null = null;
  ended: StreamEndReason | null = null;
  private readonly closeListeners: ((reason: StreamEndReason) => void)[] = [];

  constructor(
    private readonly res: ServerResponse,
    readonly options: EventStreamOptions,
  ) {
    res.statusCode = 200;
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no'); // nginx: do not buffer the stream
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    res.write(': connected\n\n');
    res.on('drain', () => {
      this.behind = 0;
      this.exempt = 0;
    });
    res.on('close', () => this.end('closed'));
    this.heartbeat = setInterval(() => this.res.write(': heartbeat\n\n'), options.heartbeatMs);
    this.heartbeat.unref();
    if (options.expiresAt !== null) {
      this.expiry = setTimeout(
        () => this.end('token_expired'),
        Math.max(0, options.expiresAt - Date.now()),
      );
      this.expiry.unref();
    }
    // Its client left while the stream was being opened (the checks before it await): 'close'
    // has fired already and would never end it, so it would stay in the hub, and hold one of
    // its subject's places, for good.
    if ((res as { destroyed?: boolean }).destroyed) this.end('closed');
  }

  /**
   * Called when the stream ends; at once if it has ended already. Returns what stops listening
   * (a replay listens at each wait for the socket, and a long one waited many times).
   */
  onEnd(listener: (reason: StreamEndReason) => void): () => void {
    if (this.ended) {
      listener(this.ended);
      return () => {};
    }
    this.closeListeners.push(listener);
    return () => {
      const at = this.closeListeners.indexOf(listener);
      if (at >= 0) this.closeListeners.splice(at, 1);
    };
  }

  /** A live event from the hub (any audience; this stream keeps its own). */
  push(row: EventRow): void {
    if (this.ended || Number(row.id) <= this.options.afterId) return;
    if (!inScope(this.options.scope, row)) return;
    if (this.replaying) {
      this.queued.push(row);
      if (this.queued.length > this.options.maxBehind) this.end('too_slow');
      return;
    }
    this.write(row);
  }

  /**
   * Writes replayed rows; resolves once the socket can take more (at once unless a write said
   * it was full), or the stream ended.
   */
  async replay(rows: EventRow[]): Promise<void> {
    let full = false;
    for (const row of rows) if (!this.ended) full = !this.write(row, true) || full;
    // Only a write that answered false is followed by 'drain'. Bytes still waiting are not
    // enough: the response corks the socket until the next tick, so a few small events always
    // leave some, and waiting for a 'drain' that never came kept the stream replaying for good
    // (its live events queued until it was cut off as too slow).
    if (this.ended || !full) return;
    await new Promise<void>((resolve) => {
      let unlisten = () => {};
      const done = () => {
        this.res.off('drain', done);
        this.res.off('close', done);
        unlisten();
        resolve();
      };
      this.res.once('drain', done);
      this.res.once('close', done);
      // Ended meanwhile (a logout, an expiry): the page is not held until the socket goes.
      unlisten = this.onEnd(done);
    });
  }

  /** Replay done: the queued live events follow, then events are written as they come. */
  goLive(): void {
    this.replaying = false;
    const queued = this.queued;
    this.queued = [];
    // Written at once in one tick, so they count against no byte limit: as live events, a
    // long replay's queue of large ones (at most maxBehind) cut off a reader however fast.
    for (const row of queued) if (!this.ended) this.write(row, true);
    // Nor do they count against the next live event: it would find them still buffered.
    this.exempt = this.res.writableLength;
  }

  /**
   * Where this stream stands (the head it replayed to): an `id:` alone, which sets the client's
   * Last-Event-ID without an event (WHATWG). Without it, a client that got no event before its
   * connection dropped reconnected with none, and what came in between was never sent.
   */
  markCursor(id: number): void {
    if (!this.ended) this.res.write(`id: ${id}\n\n`);
  }

  end(reason: StreamEndReason): void {
    if (this.ended) return;
    this.ended = reason;
    clearInterval(this.heartbeat);
    if (this.expiry) clearTimeout(this.expiry);
    if (reason !== 'closed' && reason !== 'too_slow' && !this.res.writableEnded) {
      // Tells the client why (no id: its Last-Event-ID stays the last event it got).
      this.res.write(`event: stream.end\ndata: ${JSON.stringify({ reason })}\n\n`);
    }
    if (reason === 'too_slow') this.res.destroy();
    else this.res.end();
    // A client that stopped reading keeps an ended answer open until its buffer drains, which
    // is never (no server timeout applies to an answer being sent): its socket, its buffer
    // and a replay waiting on it stayed for good, and a new stream of its subject took the
    // freed place. Past a grace (a shutdown's, a logout's, an expiry's), the socket goes.
    // (Whatever the reason: a stream that failed while opening ends as `closed` too, its client
    // still there; one whose client left has no socket left to destroy.)
    if (!this.res.writableFinished) {
      setTimeout(() => this.res.destroy(), END_FLUSH_MS).unref();
    }
    // A copy: a listener may take itself off as it runs (a replay's wait for the socket).
    for (const listener of [...this.closeListeners]) listener(reason);
  }

  /** Whether the socket took the frame without going over its buffer. */
  private write(row: EventRow, replaying = false): boolean {
    const frame =
      `id: ${row.id}\nevent: ${row.type}\n` +
      // As GET /v1/events has it (a note's company is its admins').
      `data: ${JSON.stringify(toEventDto(row))}\n\n`;
    const taken = this.res.write(frame);
    // A replay waits for the socket between pages (a page of large messages is more than the
    // byte limit at once); only live events count as falling behind.
    if (replaying) return taken;
    if (!taken) this.behind += 1;
    if (
      this.behind > this.options.maxBehind ||
      this.res.writableLength - this.exempt > this.options.maxBehindBytes
    ) {
      this.end('too_slow');
    }
    return taken;
  }
}

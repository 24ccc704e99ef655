import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { Env } from '../../config/env.validation';
import { redisOptionsFromUrl, sideRedis } from '../jobs/redis-options';
import { DomainMetrics } from '../metrics/domain-metrics';
import { eventsChannel } from './event-sequencer.service';
import { EventStream, StreamEndReason } from './event-stream';
import { EventRow, EventsRepository } from './events.repository';

const FILL_PAGE = 1000;
/** Ends the streams of one user or API key in every process (logout, suspension). */
const controlChannel = (prefix: string) => `${prefix}:events-control`;
/** When a user's streams were last ended (epoch seconds), kept as long as a token lives. */
const endedKey = (prefix: string, subject: string) => `${prefix}:streams-ended:${subject}`;
/** Sets the mark to ARGV[1] (for ARGV[2] seconds) unless it stands later already. */
const RAISE_MARK = `
  local now = redis.call('GET', KEYS[1])
  if now and (tonumber(now) or 0) >= tonumber(ARGV[1]) then return 0 end
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 1`;

/**
 * The process's one Redis subscription, and its open streams. It hands every event to every
 * stream in position order, each exactly once: `head` is the last position dispatched; a
 * message starting past head + 1 (a lost publish, a sequencer that crashed before publishing)
 * is preceded by the missing events read from the database, and a poll every EVENTS_POLL_MS
 * catches up when no message comes at all. Started with the first stream, so worker processes
 * never subscribe.
 */
@Injectable()
export class EventHub implements OnModuleDestroy {
  private readonly logger = new Logger(EventHub.name);
  private readonly streams = new Set<EventStream>();
  /** Open (or opening) streams per user or API key, for EVENTS_STREAMS_PER_SUBJECT. */
  private readonly perSubject = new Map<string, number>();
  private head = 0;
  private started: Promise<void> | null = null;
  /** Whether the head was read: the hub hands out nothing before (a failed start, say). */
  private ready = false;
  /** Set when the process began shutting down: streams registering from then on end at once. */
  private shuttingDown = false;
  private sub: Redis | null = null;
  private pub: Redis | null = null;
  private poll: NodeJS.Timeout | null = null;
  /** A poll step waits in the chain (see subscribe). */
  private pollQueued = false;
  // Everything that moves `head` runs in this chain, one step at a time.
  private chain: Promise<void> = Promise.resolve();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: ConfigService<Env, true>,
    private readonly rows: EventsRepository,
    private readonly metrics: DomainMetrics,
  ) {}

  get openStreams(): number {
    return this.streams.size;
  }

  /** Whether a user or API key has a stream open here. */
  openStreamsOf(subject: string): boolean {
    return [...this.streams].some((s) => s.options.subject === subject);
  }

  /**
   * Takes one of the subject's stream places, synchronously (concurrent opens cannot all pass);
   * returns its release, or null when the subject has `limit` streams open here.
   */
  reserve(subject: string, limit: number): (() => void) | null {
    const open = this.perSubject.get(subject) ?? 0;
    if (open >= limit) return null;
    this.perSubject.set(subject, open + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.perSubject.get(subject) ?? 1) - 1;
      if (left > 0) this.perSubject.set(subject, left);
      else this.perSubject.delete(subject);
    };
  }

  /**
   * Adds a stream and returns the head: the stream gets every event after it from the hub, and
   * reads those up to it from the database (its replay).
   */
  async register(stream: EventStream): Promise<number> {
    await this.start();
    // A stream that passed the draining check before shutdown began, and registers after the
    // streams were ended, would keep the server open until the shutdown timeout.
    if (this.shuttingDown) {
      stream.end('shutdown');
      return this.head;
    }
    // Synchronously with reading head: no dispatch can fall between the two.
    this.streams.add(stream);
    this.metrics.eventStreamOpened();
    stream.onEnd(() => {
      if (this.streams.delete(stream)) this.metrics.eventStreamClosed();
    });
    return this.head;
  }

  /**
   * Ends every stream of a user or API key, in every API process. Called after the commit that
   * ended the session (logout, suspension, a revoked key); it never throws: with Redis away the
   * streams still end when their token expires, and the change itself has committed.
   */
  async endStreamsOf(subject: string): Promise<void> {
    try {
      // Every stream of the subject, whatever its token's time says (another process's clock
      // may run ahead of this one's): only a late end (the job) spares the later sessions.
      await this.endStreamsAsOf(subject, Math.floor(Date.now() / 1000), { all: true });
    } catch (e) {
      this.logger.warn({ err: e, subject }, 'could not end streams in other processes');
    }
  }

  /**
   * Ends the subject's streams as of `asOf` (epoch seconds), in every API process: those opened
   * with a token issued then or before, and such tokens open no more; a token issued after it is
   * untouched. So the `events.end-streams` job does what the call after its commit did, however
   * late it runs (after a Redis outage, the agent reinstated and signed in again meanwhile).
   * `all`: every open stream of the subject ends. Throws when Redis does not answer (the job
   * then runs again).
   */
  async endStreamsAsOf(subject: string, asOf: number, { all = false } = {}): Promise<void> {
    const control = JSON.stringify(all ? { subject } : { subject, asOf });
    // This process's own streams at once, whatever Redis does (nor a stream failing to end).
    try {
      this.onControl(control);
    } catch (e) {
      this.logger.warn({ err: e, subject }, 'could not end a stream here');
    }
    const prefix = this.config.get('QUEUE_PREFIX', { infer: true });
    // As long as anything issued before it may live: an access token, or the queue dashboard's
    // session cookie (which QueueDashboardAccess checks against this mark too).
    const ttl =
      asOf +
      Math.max(
        this.config.get('JWT_ACCESS_TTL_SECONDS', { infer: true }),
        this.config.get('QUEUE_DASHBOARD_SESSION_MINUTES', { infer: true }) * 60,
      ) +
      60 -
      Math.floor(Date.now() / 1000);
    this.pub ??= this.sidePub();
    // Access tokens are stateless: without this mark, the token of a session that just ended
    // (or of an agent just suspended) could open a new stream until it expires. Only ever
    // raised: a late end never moves a later one back.
    if (ttl > 0) await this.pub.eval(RAISE_MARK, 1, endedKey(prefix, subject), asOf, ttl);
    await this.pub.publish(controlChannel(prefix), control);
  }

  /**
   * Whether a token issued at `issuedAt` (epoch seconds) predates the last end of the subject's
   * streams. Same second counts as before: a sign-in within the second of a logout is refused
   * once (the client retries), never the other way round. Redis away: not ended (the token's own
   * expiry still bounds it).
   */
  async endedSince(subject: string, issuedAt: number): Promise<boolean> {
    try {
      const prefix = this.config.get('QUEUE_PREFIX', { infer: true });
      this.pub ??= this.sidePub();
      const ended = await this.pub.get(endedKey(prefix, subject));
      return ended !== null && issuedAt <= Number(ended);
    } catch (e) {
      this.logger.warn({ err: e, subject }, 'could not read when streams were ended');
      return false;
    }
  }

  /** Ends every open stream here (SIGTERM: before the HTTP server waits for requests to end). */
  closeAll(reason: StreamEndReason = 'shutdown'): void {
    if (reason === 'shutdown') this.shuttingDown = true;
    for (const stream of [...this.streams]) stream.end(reason);
  }

  async onModuleDestroy(): Promise<void> {
    this.closeAll();
    if (this.poll) clearInterval(this.poll);
    await this.chain.catch(() => undefined);
    this.sub?.disconnect();
    this.pub?.disconnect();
  }

  private sidePub(): Redis {
    return sideRedis(this.redisUrl(), (e) =>
      this.logger.warn({ err: e }, 'stream control: Redis error'),
    );
  }

  private redisUrl() {
    return this.config.get('REDIS_URL', { infer: true });
  }

  /**
   * Reads the head and starts the poll, once per process; a start that failed (PostgreSQL away
   * at that moment) is undone, so the next stream tries again instead of every stream of this
   * process failing until it restarts. Redis is not waited for: it only speeds delivery up.
   */
  private start(): Promise<void> {
    this.started ??= this.subscribe().catch((e: unknown) => {
      this.started = null;
      throw e;
    });
    return this.started;
  }

  private async subscribe(): Promise<void> {
    // The head first: every message handled from now on is after it (one older is ignored, one
    // past it fills the gap from the database first).
    const read = this.chain.then(async () => {
      this.head = await this.rows.maxPosition(this.db.manager);
      this.ready = true;
    });
    this.chain = read.catch(() => undefined);
    await read;
    const pollMs = this.config.get('EVENTS_POLL_MS', { infer: true });
    // One poll step queued at a time: while the database hangs, a step every EVENTS_POLL_MS
    // piled up behind the stuck one without bound.
    this.poll = setInterval(() => {
      if (this.pollQueued) return;
      this.pollQueued = true;
      this.enqueue(async () => {
        this.pollQueued = false;
        await this.catchUp();
      });
    }, pollMs);
    this.poll.unref();
    // Not awaited: with Redis down or not answering, the subscription waits (ioredis subscribes
    // once connected) while the poll delivers. Awaited, it held the first stream of the process,
    // and every stream after it, open with heartbeats and no events until Redis came back.
    const prefix = this.config.get('QUEUE_PREFIX', { infer: true });
    const sub = new Redis({ ...redisOptionsFromUrl(this.redisUrl()), maxRetriesPerRequest: null });
    this.sub = sub;
    sub.on('error', (e) => this.logger.warn({ err: e }, 'events subscription error'));
    sub.on('message', (channel: string, message: string) => {
      if (channel === controlChannel(prefix)) return this.onControl(message);
      const batch = JSON.parse(message) as EventRow[];
      this.enqueue(() => this.accept(batch));
    });
    sub
      .subscribe(eventsChannel(prefix), controlChannel(prefix))
      // What was published before it listened: at once rather than at the next poll.
      .then(() => this.enqueue(() => this.catchUp()))
      .catch((e: unknown) => this.logger.warn({ err: e }, 'events not subscribed; polling'));
  }

  private enqueue(step: () => Promise<void>): void {
    this.chain = this.chain
      .then(step)
      .catch((e: unknown) => this.logger.warn({ err: e }, 'events fan-out step failed'));
  }

  private async accept(batch: EventRow[]): Promise<void> {
    // Queued behind a head read that failed: without a head it would fill from position 0.
    if (!this.ready) return;
    const fresh = batch.filter((r) => Number(r.id) > this.head);
    if (fresh.length === 0) return;
    const first = Number(fresh[0].id);
    if (first > this.head + 1) await this.fill(first - 1);
    for (const row of fresh) this.dispatch(row);
  }

  private async catchUp(): Promise<void> {
    const max = await this.rows.maxPosition(this.db.manager);
    if (max > this.head) await this.fill(max);
    else if (max < this.head) {
      // Behind what this process handed out: the database was restored from a backup. Its next
      // events reuse those ids; held at the old head, every one was dropped until they passed it.
      this.logger.warn(
        { head: this.head, max },
        'events: the database is behind the hub; restarting from its last event',
      );
      this.head = max;
    }
  }

  /** Dispatches every event in (head, upTo] from the database. */
  private async fill(upTo: number): Promise<void> {
    while (this.head < upTo) {
      const page = await this.rows.range(this.db.manager, this.head, upTo, FILL_PAGE);
      if (page.length === 0) break; // pruned meanwhile: nothing to hand out
      for (const row of page) this.dispatch(row);
    }
  }

  private dispatch(row: EventRow): void {
    const position = Number(row.id);
    if (position <= this.head) return;
    this.head = position;
    for (const stream of this.streams) stream.push(row);
  }

  private onControl(message: string): void {
    // `asOf` absent: every stream of the subject (an end made now, or a message of the release
    // before).
    const { subject, asOf } = JSON.parse(message) as { subject: string; asOf?: number };
    for (const stream of [...this.streams]) {
      const { issuedAt } = stream.options;
      const before = asOf === undefined || issuedAt === null || issuedAt <= asOf;
      if (stream.options.subject === subject && before) stream.end('session_ended');
    }
  }
}

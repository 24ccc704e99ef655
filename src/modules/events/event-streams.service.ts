import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { Actor } from '../../common/auth/actor';
import { API_KEY_LIVENESS, type ApiKeyLiveness } from '../../common/auth/api-key-liveness';
import { DomainError } from '../../common/errors/domain-error';
import { Env } from '../../config/env.validation';
import { ShutdownState } from '../health/shutdown-state';
import { EventHub } from './event-hub.service';
import { EventStream } from './event-stream';
import { EventsRepository } from './events.repository';
import { EventsService, scopeOf } from './events.service';

const REPLAY_PAGE = 200;

/**
 * When the caller's access token expires (ms since the epoch) and when it was issued (epoch
 * seconds), as the guard verified them; nulls for an API key (it does not expire). A user
 * without them (not possible through the guard) opens no stream: one would never end.
 */
function timesOf(actor: Actor): { expiresAt: number | null; iat: number | null } {
  if (actor.kind === 'bot') return { expiresAt: null, iat: null };
  if (!actor.token) throw new DomainError('UNAUTHENTICATED', 'Sign in to open a stream');
  return { expiresAt: actor.token.expiresAt, iat: actor.token.issuedAt };
}

/** Opens GET /v1/events/stream answers: checks, replay after Last-Event-ID, then live. */
@Injectable()
export class EventStreamsService {
  private readonly logger = new Logger(EventStreamsService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: ConfigService<Env, true>,
    private readonly rows: EventsRepository,
    private readonly events: EventsService,
    private readonly hub: EventHub,
    private readonly shutdown: ShutdownState,
    @Inject(API_KEY_LIVENESS) private readonly keys: ApiKeyLiveness,
  ) {}

  async open(actor: Actor, lastEventId: string | undefined, res: FastifyReply): Promise<void> {
    const scope = scopeOf(actor);
    if (this.shutdown.draining) {
      // The stream would be cut at once: the client retries (Retry-After) and, the balancer
      // having taken this process out, reaches one that stays.
      throw new DomainError(
        'SERVICE_UNAVAILABLE',
        'This server is shutting down; reconnect after Retry-After',
      );
    }
    let after = 0;
    if (lastEventId !== undefined && lastEventId.trim() !== '') {
      // As GET /v1/events takes `after`: any id up to 2^53 - 1 (one past the last counts as it).
      const id = lastEventId.trim();
      if (!/^[0-9]{1,16}$/.test(id) || Number(id) > Number.MAX_SAFE_INTEGER) {
        throw DomainError.validation([
          {
            field: 'Last-Event-ID',
            messages: [
              `Last-Event-ID must be an event id (digits, at most ${Number.MAX_SAFE_INTEGER})`,
            ],
          },
        ]);
      }
      after = await this.events.notPast(this.db.manager, Number(id));
    }
    const replay = lastEventId !== undefined && lastEventId.trim() !== '';
    const token = timesOf(actor);
    // A token from before a logout or suspension ended this user's streams opens none.
    if (actor.kind === 'user' && (await this.hub.endedSince(actor.userId, token.iat ?? 0))) {
      throw new DomainError(
        'UNAUTHENTICATED',
        'This session has ended (signed out or suspended): sign in again',
      );
    }
    const subject = actor.kind === 'bot' ? actor.apiKeyId : actor.userId;
    const limit = this.config.get('EVENTS_STREAMS_PER_SUBJECT', { infer: true });
    const release = this.hub.reserve(subject, limit);
    if (!release) {
      throw new DomainError(
        'RATE_LIMITED',
        `You have ${limit} event streams open on this server already: close one (or reuse it)`,
        { openStreams: limit },
      );
    }
    // From here the stream writes the answer itself: headers set so far (request id, security
    // headers) go with it.
    res.hijack();
    for (const [name, value] of Object.entries(res.getHeaders())) {
      if (value !== undefined) res.raw.setHeader(name, value);
    }
    const stream = new EventStream(res.raw, {
      scope,
      subject,
      heartbeatMs: this.config.get('EVENTS_HEARTBEAT_MS', { infer: true }),
      maxBehind: this.config.get('EVENTS_STREAM_MAX_BEHIND', { infer: true }),
      maxBehindBytes: this.config.get('EVENTS_STREAM_MAX_BEHIND_BYTES', { infer: true }),
      expiresAt: token.expiresAt,
      issuedAt: token.iat,
      afterId: after,
    });
    stream.onEnd(release);
    try {
      const head = await this.hub.register(stream);
      if (actor.kind === 'bot') await this.watchKey(stream, actor.apiKeyId);
      // A logout (or suspension) between the check above and this registration ended the
      // streams it found, here and in every process, but not this one: looked at again now that
      // it is where a logout finds it. The end's mark is written before its message is sent.
      else if (await this.hub.endedSince(actor.userId, token.iat ?? 0)) stream.end('session_ended');
      // Replay (after, head] from the database; the hub hands over everything after head.
      while (replay && after < head && !stream.ended) {
        const page = await this.rows.pageOf(this.db.manager, scope, after, head, null, REPLAY_PAGE);
        await stream.replay(await this.events.readableOf(scope, page));
        if (page.length < REPLAY_PAGE) break;
        after = Number(page[page.length - 1].id);
      }
      // Before the queued live events, all of which come after head.
      stream.markCursor(Math.max(head, after));
      stream.goLive();
    } catch (e) {
      this.logger.warn({ err: e }, 'event stream failed while opening');
      stream.end('closed');
    }
  }

  /**
   * A key's stream has no expiry, and its revocation ends it through the hub (Redis): a message
   * lost, or a revocation committed between the key's check and the stream's registration,
   * would leave it open for good. So the key is checked in the database once registered and
   * then every API_KEY_CACHE_SECONDS (at least a second), the bound a revoked key's requests have
   * too.
   */
  private async watchKey(stream: EventStream, keyId: string): Promise<void> {
    const check = async () => {
      if (!stream.ended && !(await this.keys.isActive(keyId))) stream.end('session_ended');
    };
    await check();
    if (stream.ended) return;
    const everyMs = Math.max(1, this.config.get('API_KEY_CACHE_SECONDS', { infer: true })) * 1000;
    const timer = setInterval(() => {
      check().catch((e: unknown) => this.logger.warn({ err: e }, 'API key check failed'));
    }, everyMs);
    timer.unref();
    stream.onEnd(() => clearInterval(timer));
  }
}

import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import Redis from 'ioredis';
import { Env } from '../../config/env.validation';
import { redisOptionsFromUrl, sideRedis } from '../jobs/redis-options';
import type { ApiKeyOwnerRow } from './api-keys.repository';

/** How long after a failed subscription bot requests go uncached without trying again. */
const RESUBSCRIBE_MS = 5_000;
/** A subscription's connect timeout: the request that tries it waits at most about this. */
const SUBSCRIBE_CONNECT_TIMEOUT_MS = 2_000;

/** Revoked key ids, to every API process. */
const revokedChannel = (prefix: string) => `${prefix}:api-keys-revoked`;

/**
 * Verified bot keys, by hash, for API_KEY_CACHE_SECONDS: intake is the hottest authenticated
 * path, and reading the key cost a query per request (issue 20). A revocation evicts the key
 * here at once and in every other process through Redis pub/sub (subscribed at start, or with
 * the first key to cache if Redis was away then); if that message is lost (Redis away), the entry's age bounds the delay. Only
 * verified keys are kept: an unknown key always reads the database.
 */
@Injectable()
export class ApiKeyCache implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ApiKeyCache.name);
  private readonly byHash = new Map<string, { owner: ApiKeyOwnerRow; until: number }>();
  private readonly ttlMs: number;
  private readonly prefix: string;
  // Counts revocations heard: a key read before one of them is not cached (it may be that one).
  private generation = 0;
  private subscribed: Promise<void> | null = null;
  /** Whether the subscription stands now (false from a lost connection to re-subscribed). */
  private listening = false;
  /** After a failed subscription, when the next may be tried. */
  private retryAt = 0;
  private sub: Redis | null = null;
  private pub: Redis | null = null;

  constructor(private readonly config: ConfigService<Env, true>) {
    this.ttlMs = config.get('API_KEY_CACHE_SECONDS', { infer: true }) * 1000;
    this.prefix = config.get('QUEUE_PREFIX', { infer: true });
  }

  /**
   * Listens from the start, so that the first keys read are cached (a read before the process
   * listens is not: see listen). Redis away at boot: the first request to cache tries again.
   */
  async onApplicationBootstrap(): Promise<void> {
    if (this.ttlMs === 0) return;
    await this.subscribe().catch((e: unknown) =>
      this.logger.warn({ err: e }, 'API key revocations unheard for now: keys are not cached'),
    );
  }

  get(hash: string): ApiKeyOwnerRow | undefined {
    const hit = this.byHash.get(hash);
    if (!hit) return undefined;
    if (hit.until > Date.now()) return hit.owner;
    this.byHash.delete(hash);
    return undefined;
  }

  /** Take before reading a key from the database, and hand to `set`. */
  ticket(): number {
    return this.generation;
  }

  /**
   * Keeps a key just verified, once this process listens for revocations, unless a revocation
   * was heard since `ticket` (the read may have come just before it committed).
   */
  async set(hash: string, owner: ApiKeyOwnerRow, ticket: number): Promise<void> {
    if (this.ttlMs === 0) return;
    // Not listening: a revocation elsewhere would go unseen, so nothing is cached. After a
    // failed attempt, requests neither wait for another nor start one until RESUBSCRIBE_MS.
    if (!this.subscribed && Date.now() < this.retryAt) return;
    try {
      await this.subscribe();
    } catch (e) {
      this.logger.warn({ err: e }, 'API key revocations unheard: keys are not cached');
      return;
    }
    // Subscribed once, but not at this moment (reconnecting, or re-subscribing after it): a
    // revocation published now goes unheard.
    if (!this.listening || ticket !== this.generation) return;
    this.byHash.set(hash, { owner, until: Date.now() + this.ttlMs });
  }

  /**
   * After a revocation committed: evicts the key here, then in every other process. Never
   * throws (the revocation has committed); with Redis away the others drop it within the TTL.
   */
  async revoked(id: string): Promise<void> {
    this.evict(id);
    try {
      this.pub ??= sideRedis(this.redisUrl(), (e) =>
        this.logger.warn({ err: e }, 'API key revocations: Redis error'),
      );
      await this.pub.publish(revokedChannel(this.prefix), id);
    } catch (e) {
      this.logger.warn({ err: e, id }, 'could not tell other processes of a revoked API key');
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.sub?.disconnect();
    this.pub?.disconnect();
  }

  private evict(id: string): void {
    this.generation += 1;
    for (const [hash, { owner }] of this.byHash) if (owner.id === id) this.byHash.delete(hash);
  }

  private subscribe(): Promise<void> {
    this.subscribed ??= this.listen().catch((e: unknown) => {
      // The failed client goes (ioredis would reconnect it for ever, one more per attempt).
      this.sub?.disconnect();
      this.sub = null;
      this.subscribed = null;
      this.retryAt = Date.now() + RESUBSCRIBE_MS;
      throw e;
    });
    return this.subscribed;
  }

  private async listen(): Promise<void> {
    const sub = new Redis({
      ...redisOptionsFromUrl(this.redisUrl()),
      maxRetriesPerRequest: 1,
      connectTimeout: SUBSCRIBE_CONNECT_TIMEOUT_MS,
      // disconnect() arms a timer that only this socket's 'close' clears: after a refused
      // connection that has already happened, and the default 2 s kept the process alive.
      disconnectTimeout: 0,
      // Re-subscribed below on each reconnect, its failure handled: ioredis's own re-subscribe
      // leaves a failure unhandled, and an unhandled rejection ends the process.
      autoResubscribe: false,
    });
    this.sub = sub;
    sub.on('error', (e) => this.logger.warn({ err: e }, 'API key revocations: Redis error'));
    sub.on('message', (_channel: string, id: string) => this.evict(id));
    await this.listenOn(sub);
    // A lost connection misses revocations from then on: nothing cached is trusted, and
    // nothing is cached until subscribed again (a failed re-subscribe: until a request
    // subscribes anew).
    sub.on('close', () => this.unheard(sub));
    let attempt = 0;
    sub.on('ready', () => {
      this.unheard(sub);
      const mine = ++attempt;
      this.listenOn(sub).catch((e: unknown) => {
        // A later reconnect's attempt may have succeeded since: this one's failure is moot.
        if (mine !== attempt || this.sub !== sub) return;
        this.logger.warn({ err: e }, 'API key revocations unheard: keys are not cached');
        sub.disconnect();
        this.sub = null;
        this.subscribed = null;
        this.retryAt = Date.now() + RESUBSCRIBE_MS;
      });
    });
  }

  /** The subscription lapsed: cached keys go, and keys read before now are not cached. */
  private unheard(sub: Redis): void {
    if (this.sub !== sub) return;
    this.listening = false;
    this.generation += 1;
    this.byHash.clear();
  }

  /**
   * Subscribes, within SUBSCRIBE_CONNECT_TIMEOUT_MS (a Redis that does not answer fails it),
   * then counts a generation: a key read before (its ticket taken) may have been revoked while
   * no one here listened, so it is not cached; the next read is.
   */
  private async listenOn(sub: Redis): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        sub.subscribe(revokedChannel(this.prefix)),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error('subscribing timed out')),
            SUBSCRIBE_CONNECT_TIMEOUT_MS,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    this.generation += 1;
    if (this.sub === sub) this.listening = true;
  }

  private redisUrl() {
    return this.config.get('REDIS_URL', { infer: true });
  }
}

import { ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerException,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerRequest,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Actor } from '../../common/auth/actor';
import { IS_PUBLIC_KEY } from '../../common/auth/decorators';
import { RATE_LIMIT_KEY, RateLimitKind } from '../../common/http/rate-limit';
import { Env } from '../../config/env.validation';
import { CONSOLE_HEADER } from './session-cookie';

/** How long requests skip the limits after a call to their Redis failed. */
const SKIP_AFTER_FAILURE_MS = 5_000;
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const READS = new Set(['GET', 'HEAD']);

/**
 * Whether an `auth` call could be a client's own: it has a body, or the console's header. A page
 * of another site can make its visitor's browser send a body only as text, a form or multipart,
 * which are refused before any route, and never the header (each needs a CORS preflight, which
 * fails): only a body-less POST, which validation refuses anyway (the session routes want the
 * header, the others a body). Counted, ten of those a minute used up the sign-ins and session
 * renewals of everyone at the visitor's address. Any body counts, whatever its JSON type says
 * (`application/…+json` is parsed as JSON too).
 */
function fromAClient(req: FastifyRequest): boolean {
  return req.headers[CONSOLE_HEADER] !== undefined || req.body !== undefined;
}

/**
 * Global, after authentication (it counts per caller): the named throttlers of AppModule, counted
 * in Redis so the limits hold across API processes. `auth` counts per client address and action
 * (a login by token or by cookie alike); `intake` per API key; `writes` and `reads` per user or
 * key over all routes together; `redeliver` per company (a redelivery is a write too);
 * `companyKeys` every call with any of a company's API keys, per company. A
 * refused call gets 429 RATE_LIMITED with a plain Retry-After header. Public routes (health,
 * the OpenAPI document, the console's files) count nothing.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  private readonly enabled: boolean;
  private readonly log = new Logger(RateLimitGuard.name);
  private lastOutageLog = 0;
  /** After a call that failed (Redis not answering within its timeout), none until then. */
  private skipUntil = 0;

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    config: ConfigService<Env, true>,
  ) {
    super(options, storage, reflector);
    this.enabled = config.get('RATE_LIMITS', { infer: true });
  }

  protected override async shouldSkip(ctx: ExecutionContext): Promise<boolean> {
    return !this.enabled || ctx.getType() !== 'http' || this.kindsOf(ctx).length === 0;
  }

  /**
   * Fails open: counters live in Redis, and a Redis outage must not take every write down with
   * it (the API keeps serving what needs only PostgreSQL). Logged, at most every 10 s.
   */
  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    // Known down (reconnecting): no call at all, so an outage adds no latency to every write.
    const redis = (this.storageService as Partial<ThrottlerStorageRedisService>).redis;
    if (redis && redis.status !== 'ready') return this.unenforced(`Redis ${redis.status}`);
    // Connected but not answering (a paused server, a partition with no reset): each call waits
    // for the client's timeout, so after one failed, requests skip the limits for a while
    // instead of each waiting that long.
    if (Date.now() < this.skipUntil) return this.unenforced('Redis failed a call just now');
    try {
      return await this.count(props);
    } catch (e) {
      if (e instanceof ThrottlerException) throw e;
      this.skipUntil = Date.now() + SKIP_AFTER_FAILURE_MS;
      return this.unenforced((e as Error).message);
    }
  }

  private unenforced(why: string): boolean {
    if (Date.now() - this.lastOutageLog > 10_000) {
      this.lastOutageLog = Date.now();
      this.log.warn({ why }, 'rate limits not enforced: their Redis is unreachable');
    }
    return true;
  }

  private async count(props: ThrottlerRequest): Promise<boolean> {
    const kind = props.throttler.name as RateLimitKind;
    if (!this.kindsOf(props.context).includes(kind)) return true;
    if (kind === 'auth') {
      if (!fromAClient(props.context.switchToHttp().getRequest<FastifyRequest>())) return true;
      // Per address and action: the token and the console's cookie form of one action (their
      // handlers share its name: login, register, refresh) count together, so that using both
      // does not double an address's guesses.
      return super.handleRequest({
        ...props,
        generateKey: (ctx, tracker, name) => `${name}:${ctx.getHandler().name}:${tracker}`,
      });
    }
    const actor = props.context.switchToHttp().getRequest<{ user?: Actor }>().user;
    if (!actor) return true;
    if (kind === 'companyKeys' && actor.kind !== 'bot') return true;
    const caller =
      kind === 'redeliver' || kind === 'companyKeys'
        ? `company:${actor.companyId}`
        : actor.kind === 'bot'
          ? `key:${actor.apiKeyId}`
          : `user:${actor.userId}`;
    return super.handleRequest({
      ...props,
      getTracker: () => Promise.resolve(caller),
      // One counter per caller across routes (the default key is per route).
      generateKey: (_ctx, tracker, name) => `${name}:${tracker}`,
    });
  }

  /** Retry-After without the throttler's name, which is what clients look for. */
  protected override setResponseHeader(res: FastifyReply, name: string, value: number): void {
    super.setResponseHeader(res, name.startsWith('Retry-After') ? 'Retry-After' : name, value);
  }

  /**
   * The limits a call counts toward: its declared one, `writes` or `reads` for a signed-in
   * write or read, and `companyKeys` for any signed-in call (counted for API keys only).
   */
  private kindsOf(ctx: ExecutionContext): RateLimitKind[] {
    const targets = [ctx.getHandler(), ctx.getClass()];
    const declared = this.reflector.getAllAndOverride<RateLimitKind | undefined>(
      RATE_LIMIT_KEY,
      targets,
    );
    if (declared === 'auth') return [declared];
    if (declared === 'intake') return [declared, 'companyKeys'];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) return [];
    const { method } = ctx.switchToHttp().getRequest<FastifyRequest>();
    const own: RateLimitKind[] = WRITES.has(method)
      ? ['writes', 'companyKeys']
      : READS.has(method)
        ? ['reads', 'companyKeys']
        : [];
    return declared ? [declared, ...own] : own;
  }
}

import { Controller, Get, Logger } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorResult,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { Public } from '../../common/auth/decorators';
import type Redis from 'ioredis';
import { QueuesService } from '../jobs/queues.service';
import { ReadinessDatabase } from './readiness-database';
import { ShutdownState } from './shutdown-state';

/** Each dependency's check, from start to answer. */
const CHECK_MS = 1500;

/** `work`, or a rejection once `ms` have passed (its timer cleared either way). */
async function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

@ApiTags('health')
@Controller('health')
@Public()
export class HealthController {
  private readonly logger = new Logger(HealthController.name);

  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly queues: QueuesService,
    private readonly shutdown: ShutdownState,
    private readonly readiness: ReadinessDatabase,
  ) {}

  /** Liveness: the process is up and serving. Checks nothing else, so it never flaps. */
  @Get()
  @HealthCheck()
  @ApiOperation({ operationId: 'checkLiveness', summary: 'Liveness' })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  /** Readiness: PostgreSQL and Redis answer and the process is not shutting down; else 503. */
  @Get('ready')
  @HealthCheck()
  @ApiOperation({ operationId: 'checkReadiness', summary: 'Readiness' })
  ready(): Promise<HealthCheckResult> {
    return this.health.check([
      async () => this.withheld('database', await this.postgres()),
      async () => this.withheld('redis', await this.redis()),
      () => this.lifecycle(),
    ]);
  }

  /**
   * A dependency that is down says only that to the caller (anyone may read readiness): the
   * driver's message names hosts, ports and database users. It goes to the log instead.
   */
  private withheld(key: string, result: HealthIndicatorResult): HealthIndicatorResult {
    const state = result[key];
    if (state?.status !== 'down') return result;
    this.logger.warn({ check: key, reason: state.message as unknown }, 'not ready');
    return this.indicators.check(key).down({ message: 'unavailable' });
  }

  /**
   * Over a connection of its own, not the pool requests and jobs wait in (ReadinessDatabase),
   * opening it included within the check's time. A ping that got no answer in time may have
   * left that connection half-open (a failover without a reset): every later ping queued behind
   * it until the kernel gave up, keeping a healthy process out of rotation. It is dropped, and
   * the next check opens another.
   */
  private async postgres() {
    const opening = this.readiness.connection();
    let opened = false;
    let result: HealthIndicatorResult;
    try {
      result = await within(
        opening.then((connection) => {
          opened = true;
          return this.database.pingCheck('database', { connection, timeout: CHECK_MS });
        }),
        CHECK_MS,
      );
    } catch (e) {
      result = this.indicators.check('database').down({ message: (e as Error).message });
    }
    // Opened, and the ping unanswered: dropped. One still opening (a slow TLS handshake, a
    // busy pooler) is left to finish, for the next check to use.
    if (result.database?.status === 'down' && opened) this.readiness.reset(opening);
    return result;
  }

  private lifecycle() {
    const indicator = this.indicators.check('lifecycle');
    return this.shutdown.draining ? indicator.down({ message: 'shutting down' }) : indicator.up();
  }

  private async redis() {
    const indicator = this.indicators.check('redis');
    try {
      // The queue's own connection: readiness means the queues can reach Redis.
      await within(
        this.queues.get('default').client.then((client) => (client as unknown as Redis).ping()),
        CHECK_MS,
      );
      return indicator.up();
    } catch (e) {
      return indicator.down({ message: (e as Error).message });
    }
  }
}

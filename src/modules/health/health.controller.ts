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
import type { DataSource } from 'typeorm';
import { QueuesService } from '../jobs/queues.service';
import { ReadinessDatabase } from './readiness-database';
import { ShutdownState } from './shutdown-state';

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

  /** Over a connection of its own, not the pool requests and jobs wait in (ReadinessDatabase). */
  private async postgres() {
    let connection: DataSource;
    try {
      connection = await this.readiness.connection();
    } catch (e) {
      return this.indicators.check('database').down({ message: (e as Error).message });
    }
    return this.database.pingCheck('database', { connection, timeout: 1500 });
  }

  private lifecycle() {
    const indicator = this.indicators.check('lifecycle');
    return this.shutdown.draining ? indicator.down({ message: 'shutting down' }) : indicator.up();
  }

  private async redis() {
    const indicator = this.indicators.check('redis');
    let timer: NodeJS.Timeout | undefined;
    try {
      // The queue's own connection: readiness means the queues can reach Redis.
      const client = (await this.queues.get('default').client) as unknown as Redis;
      await Promise.race([
        client.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('timed out after 1500 ms')), 1500);
        }),
      ]);
      return indicator.up();
    } catch (e) {
      return indicator.down({ message: (e as Error).message });
    } finally {
      clearTimeout(timer);
    }
  }
}

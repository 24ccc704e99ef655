import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { Public } from '../../common/auth/decorators';
import type Redis from 'ioredis';
import { QueuesService } from '../jobs/queues.service';
import { ShutdownState } from './shutdown-state';

@ApiTags('health')
@Controller('health')
@Public()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly queues: QueuesService,
    private readonly shutdown: ShutdownState,
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
      () => this.database.pingCheck('database', { timeout: 1500 }),
      () => this.redis(),
      () => this.lifecycle(),
    ]);
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

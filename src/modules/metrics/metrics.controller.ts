import { Controller, Get, Headers, NotFoundException, Res } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../../common/auth/decorators';
import { DomainError } from '../../common/errors/domain-error';
import { Env } from '../../config/env.validation';
import { METRICS_CHALLENGE, metricsAccess } from './metrics-access';
import { MetricsRegistry } from './metrics-registry';

/**
 * Prometheus' scrape endpoint. Not part of the public API (left out of the OpenAPI document);
 * authenticated by its own token instead of users' tokens or bots' keys, hence @Public() for the
 * global guards. A GET, so the write rate limit never counts it.
 */
@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  private readonly token: string | undefined;

  constructor(
    private readonly metrics: MetricsRegistry,
    config: ConfigService<Env, true>,
  ) {
    this.token = config.get('METRICS_TOKEN', { infer: true });
  }

  @Get()
  async scrape(
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<string> {
    const access = metricsAccess(this.token, authorization);
    // Word for word what an unknown path answers.
    if (access === 'absent') throw new NotFoundException('Cannot GET /metrics');
    if (access === 'refused') {
      res.header('WWW-Authenticate', METRICS_CHALLENGE);
      throw new DomainError('UNAUTHENTICATED', 'A valid metrics token is required');
    }
    const body = await this.metrics.metrics();
    res.header('Content-Type', this.metrics.contentType);
    res.header('Cache-Control', 'no-store');
    return body;
  }
}

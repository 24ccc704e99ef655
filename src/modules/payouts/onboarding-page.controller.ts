import { Controller, Get, Header, Query, Res } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../../common/auth/decorators';
import { Env } from '../../config/env.validation';
import { onboardingPage } from './onboarding-page';
import { OnboardingReturnQueryDto } from './payout.dto';

/**
 * Stripe's return and refresh URLs for Connect onboarding (PayoutAccountService.onboard). Public:
 * the agent's browser comes back from Stripe without our token, and the page shows nothing of
 * any account (onboarding-page.ts).
 */
@ApiTags('payouts')
@Controller('agent/payouts')
@Public()
export class OnboardingPageController {
  constructor(private readonly config: ConfigService<Env, true>) {}

  /** A plain HTML page: onboarding done (`return`) or its link expired (`refresh`). */
  @Get()
  @Header('Cache-Control', 'no-cache')
  @ApiProduces('text/html')
  @ApiOperation({
    operationId: 'getOnboardingReturnPage',
    summary: 'The page Stripe onboarding returns to',
  })
  page(
    @Query() query: OnboardingReturnQueryDto,
    @Res({ passthrough: true }) res: Response,
  ): string {
    // Set here, not by @Header: that one also labels a 400's JSON error body as HTML.
    res.type('text/html; charset=utf-8');
    return onboardingPage(query.onboarding, this.config.get('PUBLIC_URL', { infer: true }));
  }
}

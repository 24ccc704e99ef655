import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, Roles } from '../../common/auth/decorators';
import { IdParam } from '../../common/http/id-param';
import { PageQueryDto } from '../../common/pagination/page.dto';
import { FeedbackPageDto } from './quality.dto';
import { QualityScoreDto } from './quality-score.dto';
import { QualityScoreService } from './quality-score.service';

@ApiTags('quality')
@Controller('v1/agents/me')
@Roles('agent')
export class AgentQualityController {
  constructor(private readonly quality: QualityScoreService) {}

  /** Your quality score, with every rating and review in it and how it is computed. */
  @Get('quality')
  @ApiOperation({ operationId: 'getMyQuality', summary: 'Get your quality score' })
  mine(@CurrentActor() actor: Actor): Promise<QualityScoreDto> {
    return this.quality.mine(actor);
  }

  /** Every rating and review of your work, newest first (counted in the score or not). */
  @Get('feedback')
  @ApiOperation({
    operationId: 'listMyFeedback',
    summary: 'List the ratings and reviews of your work',
  })
  feedback(@CurrentActor() actor: Actor, @Query() query: PageQueryDto): Promise<FeedbackPageDto> {
    return this.quality.feedback(actor, query);
  }
}

@ApiTags('quality')
@Controller('v1/companies/me/agents')
@Roles('company_admin')
export class CompanyAgentQualityController {
  constructor(private readonly quality: QualityScoreService) {}

  /**
   * The quality score of an agent who held a seat on your shifts (others: 404); its breakdown
   * and list hold your own ratings and reviews only.
   */
  @Get(':agentId/quality')
  @ApiOperation({ operationId: 'getCompanyAgentQuality', summary: "Get an agent's quality score" })
  get(@CurrentActor() actor: Actor, @IdParam('agentId') agentId: string): Promise<QualityScoreDto> {
    return this.quality.forCompany(actor, agentId);
  }
}

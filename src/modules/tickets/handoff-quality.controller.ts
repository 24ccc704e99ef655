import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, Roles } from '../../common/auth/decorators';
import { HandoffQualityDto } from './handoff-quality.dto';
import { HandoffQualityService } from './handoff-quality.service';

@ApiTags('companies')
@Controller('v1/companies/me/handoff-quality')
@Roles('company_admin')
export class HandoffQualityController {
  constructor(private readonly quality: HandoffQualityService) {}

  /**
   * How well your bot hands customers over: the share of your escalations of the last 90 days
   * that agents flagged incomplete, or that were reopened, transferred or withdrawn, and what
   * agents found missing most often.
   */
  @Get()
  @ApiOperation({ operationId: 'getHandoffQuality', summary: "Get your bot's handoff quality" })
  get(@CurrentActor() actor: Actor): Promise<HandoffQualityDto> {
    return this.quality.ofCompany(actor);
  }
}

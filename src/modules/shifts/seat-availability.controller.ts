import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, Roles } from '../../common/auth/decorators';
import { ApiErrors } from '../../common/http/api-errors';
import { AvailabilityDto, SetAvailabilityDto } from './shift-claim.dto';
import { SeatAvailabilityService } from './seat-availability.service';

@ApiTags('seats')
@Controller('v1/agents/me/availability')
@Roles('agent')
export class SeatAvailabilityController {
  constructor(private readonly availability: SeatAvailabilityService) {}

  /**
   * On a checked-in seat: available (offers may come, on push shifts) or away (a break: no
   * offers, your tickets stay yours). Time away beyond the shift cap is reported. It applies
   * to the live seat and to one checked into early for the next shift (a break carries over);
   * with no seat live, to that next one. 409 NOT_CHECKED_IN when you are checked in on no
   * shift that has not ended.
   */
  @Put()
  @ApiOperation({ operationId: 'setMyAvailability', summary: 'Set your availability for offers' })
  @ApiErrors('NOT_CHECKED_IN')
  set(@CurrentActor() actor: Actor, @Body() body: SetAvailabilityDto): Promise<AvailabilityDto> {
    return this.availability.set(actor, body.status);
  }

  /** Your live seat's availability and time away. */
  @Get()
  @ApiOperation({ operationId: 'getMyAvailability', summary: 'Get your availability' })
  @ApiErrors('NOT_CHECKED_IN')
  get(@CurrentActor() actor: Actor): Promise<AvailabilityDto> {
    return this.availability.get(actor);
  }
}

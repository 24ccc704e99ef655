import { Body, Controller, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, Roles } from '../../common/auth/decorators';
import { IdParam } from '../../common/http/id-param';
import {
  CancelShiftDto,
  CreateShiftDto,
  ListShiftsQueryDto,
  ShiftDetailDto,
  ShiftDto,
  ShiftPageDto,
  UpdateShiftDto,
} from './shift.dto';
import { ShiftsService } from './shifts.service';

@ApiTags('shifts')
@ApiBearerAuth('user')
@Controller('v1/shifts')
@Roles('company_admin')
export class ShiftsController {
  constructor(private readonly shifts: ShiftsService) {}

  /** Posts a shift: a window of demand with seats, skills, languages and pay per ticket. */
  @Post()
  create(@CurrentActor() actor: Actor, @Body() body: CreateShiftDto): Promise<ShiftDto> {
    return this.shifts.create(actor, body);
  }

  /** The company's shifts, soonest first, with seats taken. */
  @Get()
  list(@CurrentActor() actor: Actor, @Query() query: ListShiftsQueryDto): Promise<ShiftPageDto> {
    return this.shifts.list(actor, query);
  }

  /** One shift with its seat holders and waitlist. */
  @Get(':id')
  get(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<ShiftDetailDto> {
    return this.shifts.get(actor, id);
  }

  /** Changes a shift; once seats are taken only changes safe for seat holders are accepted. */
  @Patch(':id')
  update(
    @CurrentActor() actor: Actor,
    @IdParam() id: string,
    @Body() body: UpdateShiftDto,
  ): Promise<ShiftDetailDto> {
    return this.shifts.update(actor, id, body);
  }

  /** Cancels the shift; seat holders are released with no mark on their reliability. */
  @Post(':id/cancel')
  @HttpCode(200)
  cancel(
    @CurrentActor() actor: Actor,
    @IdParam() id: string,
    @Body() body: CancelShiftDto,
  ): Promise<ShiftDto> {
    return this.shifts.cancel(actor, id, body);
  }
}

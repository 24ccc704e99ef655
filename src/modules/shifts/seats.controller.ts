import { Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor, Roles } from '../../common/auth/decorators';
import { IdParam } from '../../common/http/id-param';
import {
  MyClaimsQueryDto,
  OpenShiftPageDto,
  OpenShiftsQueryDto,
  ReliabilityDto,
  ShiftClaimDto,
  ShiftClaimPageDto,
  WaitlistPositionDto,
} from './shift.dto';
import { OpenShiftsService } from './open-shifts.service';
import { ShiftClaimsService } from './shift-claims.service';
import { ShiftWaitlistService } from './shift-waitlist.service';

/** The agent side of shifts. Registered before ShiftsController so /open is not an :id. */
@ApiTags('seats')
@ApiBearerAuth('user')
@Controller('v1/shifts')
@Roles('agent')
export class SeatsController {
  constructor(
    private readonly open: OpenShiftsService,
    private readonly claims: ShiftClaimsService,
    private readonly waitlist: ShiftWaitlistService,
  ) {}

  /**
   * Shifts you are eligible for and can claim now (upcoming, or started with enough time left),
   * with seats left and pay, soonest first. An empty first page says why in `hints`.
   */
  @Get('open')
  openShifts(
    @CurrentActor() actor: Actor,
    @Query() query: OpenShiftsQueryDto,
  ): Promise<OpenShiftPageDto> {
    return this.open.list(actor, query);
  }

  /**
   * Takes a seat, before the start or on a started shift while enough of it remains (then the
   * seat, its check-in deadline and its weekly hours count from the claim). 409 SHIFT_FULL,
   * SHIFT_OVERLAP, SHIFT_CLOSED (with claimsCloseAt once claims have closed),
   * WEEKLY_HOURS_EXCEEDED or ALREADY_CLAIMED; 403 NOT_ELIGIBLE with the reasons.
   */
  @Post(':id/claims')
  claim(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<ShiftClaimDto> {
    return this.claims.claim(actor, id);
  }

  /** Gives your seat back; inside the late window it counts as a late cancellation. */
  @Delete(':id/claims/me')
  cancel(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<ShiftClaimDto> {
    return this.claims.cancel(actor, id);
  }

  /** Checks in, from shortly before the start until the end. */
  @Post(':id/check-in')
  @HttpCode(200)
  checkIn(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<ShiftClaimDto> {
    return this.claims.checkIn(actor, id);
  }

  @Post(':id/check-out')
  @HttpCode(200)
  checkOut(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<ShiftClaimDto> {
    return this.claims.checkOut(actor, id);
  }

  /** Joins a full shift's waitlist; a freed seat goes to the first eligible agent in line. */
  @Post(':id/waitlist')
  joinWaitlist(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<WaitlistPositionDto> {
    return this.waitlist.join(actor, id);
  }

  @Delete(':id/waitlist')
  @HttpCode(204)
  async leaveWaitlist(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<void> {
    await this.waitlist.leave(actor, id);
  }
}

@ApiTags('seats')
@ApiBearerAuth('user')
@Controller('v1/agents/me')
@Roles('agent')
export class MySeatsController {
  constructor(private readonly claims: ShiftClaimsService) {}

  /** Your seat claims, latest shift first, including seats given to you from a waitlist. */
  @Get('claims')
  list(@CurrentActor() actor: Actor, @Query() query: MyClaimsQueryDto): Promise<ShiftClaimPageDto> {
    return this.claims.listMine(actor, query);
  }

  /** Completed seats, late cancellations and no-shows over the last 30 days. */
  @Get('reliability')
  reliability(@CurrentActor() actor: Actor): Promise<ReliabilityDto> {
    return this.claims.reliability(actor);
  }
}

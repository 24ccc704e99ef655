import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SkillsModule } from '../skills/skills.module';
import { OpenShiftsService } from './open-shifts.service';
import { MySeatsController, SeatsController } from './seats.controller';
import { SeatAllocator } from './seat-allocator.service';
import { SeatSuspension } from './seat-suspension.service';
import { Shift, ShiftRequiredSkill } from './shift.entity';
import { ShiftClaimsService } from './shift-claims.service';
import { NoShowCheckHandler, ShiftCompleteHandler } from './shift-timers.handlers';
import { ShiftWaitlistService } from './shift-waitlist.service';
import { ShiftsController } from './shifts.controller';
import { ShiftsService } from './shifts.service';

@Module({
  imports: [TypeOrmModule.forFeature([Shift, ShiftRequiredSkill]), SkillsModule],
  // SeatsController first: its GET /v1/shifts/open must be matched before GET /v1/shifts/:id.
  controllers: [SeatsController, MySeatsController, ShiftsController],
  providers: [
    ShiftsService,
    OpenShiftsService,
    ShiftClaimsService,
    ShiftWaitlistService,
    SeatAllocator,
    SeatSuspension,
    NoShowCheckHandler,
    ShiftCompleteHandler,
  ],
  exports: [SeatSuspension],
})
export class ShiftsModule {}

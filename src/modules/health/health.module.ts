import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { ReadinessDatabase } from './readiness-database';
import { ShutdownState } from './shutdown-state';

@Module({
  imports: [TerminusModule, JobsModule],
  controllers: [HealthController],
  providers: [ShutdownState, ReadinessDatabase],
  exports: [ShutdownState],
})
export class HealthModule {}

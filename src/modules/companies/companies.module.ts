import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OutboxModule } from '../outbox/outbox.module';
import { EventsModule } from '../events/events.module';
import { ApiKey } from './api-key.entity';
import { ApiKeysController, BotController, CompanySettingsController } from './api-keys.controller';
import { CompanySettingsService } from './company-settings.service';
import { ApiKeyCache } from './api-key-cache';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import { CompaniesRepository } from './companies.repository';
import { CompaniesService } from './companies.service';
import { Company } from './company.entity';

@Module({
  // A revoked key's event streams end (EventsModule imports no feature module: no cycle).
  imports: [TypeOrmModule.forFeature([Company, ApiKey]), EventsModule, OutboxModule],
  controllers: [ApiKeysController, BotController, CompanySettingsController],
  providers: [
    CompanySettingsService,
    ApiKeysService,
    CompaniesService,
    CompaniesRepository,
    ApiKeysRepository,
    ApiKeyCache,
  ],
  exports: [ApiKeysService, CompaniesService],
})
export class CompaniesModule {}

import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiKey } from './api-key.entity';
import { ApiKeysController, BotController } from './api-keys.controller';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import { CompaniesRepository } from './companies.repository';
import { CompaniesService } from './companies.service';
import { Company } from './company.entity';

@Module({
  imports: [TypeOrmModule.forFeature([Company, ApiKey])],
  controllers: [ApiKeysController, BotController],
  providers: [ApiKeysService, CompaniesService, CompaniesRepository, ApiKeysRepository],
  exports: [ApiKeysService, CompaniesService],
})
export class CompaniesModule {}

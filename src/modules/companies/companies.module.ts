import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiKey } from './api-key.entity';
import { ApiKeysController, BotController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';
import { Company } from './company.entity';

@Module({
  imports: [TypeOrmModule.forFeature([Company, ApiKey])],
  controllers: [ApiKeysController, BotController],
  providers: [ApiKeysService],
  exports: [ApiKeysService],
})
export class CompaniesModule {}

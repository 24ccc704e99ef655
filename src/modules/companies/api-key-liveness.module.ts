import { Global, Module } from '@nestjs/common';
import { API_KEY_LIVENESS } from '../../common/auth/api-key-liveness';
import { ApiKeysService } from './api-keys.service';
import { CompaniesModule } from './companies.module';

/**
 * API key liveness offered to every module under API_KEY_LIVENESS (event streams ask it),
 * without them importing companies, which imports events to end a revoked key's streams.
 */
@Global()
@Module({
  imports: [CompaniesModule],
  providers: [{ provide: API_KEY_LIVENESS, useExisting: ApiKeysService }],
  exports: [API_KEY_LIVENESS],
})
export class ApiKeyLivenessModule {}

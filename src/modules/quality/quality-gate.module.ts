import { Global, Module } from '@nestjs/common';
import { AGENT_QUALITY } from '../../common/quality/agent-quality';
import { QualityModule } from './quality.module';
import { QualityScoreService } from './quality-score.service';

/**
 * The quality score offered to every module under AGENT_QUALITY (shifts ask it), without them
 * importing quality, which itself reads shifts and tickets.
 */
@Global()
@Module({
  imports: [QualityModule],
  providers: [{ provide: AGENT_QUALITY, useExisting: QualityScoreService }],
  exports: [AGENT_QUALITY],
})
export class QualityGateModule {}

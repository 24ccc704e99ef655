import { Module } from '@nestjs/common';
import { QualityModule } from './quality.module';
import { QualityRefresher } from './quality-refresher.service';

/** What only worker processes run of quality: the periodic rewrite of the router's tiers. */
@Module({ imports: [QualityModule], providers: [QualityRefresher] })
export class QualityRefresherModule {}

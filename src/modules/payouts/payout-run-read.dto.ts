import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQueryDto } from '../../common/pagination/page.dto';
import { LINE_STATUSES, PayoutLineDto } from './payout.dto';

export const RUN_LINES_INCLUDED = ['all', 'none'] as const;

/** How much of a run GET /v1/payout-runs/{id} answers with. */
export class PayoutRunQueryDto {
  /**
   * `all` (the default): every line, in `lines`. `none`: `lines` is empty, for a page that
   * re-reads a run's totals while it pays (a 50,000-line run's lines are megabytes); read the
   * lines a page at a time from GET /v1/payout-runs/{id}/lines.
   */
  @ApiPropertyOptional({ enum: RUN_LINES_INCLUDED, default: 'all' })
  @IsOptional()
  @IsIn(RUN_LINES_INCLUDED)
  lines?: (typeof RUN_LINES_INCLUDED)[number];
}

/** A page of a run's lines, of one status or all. */
export class PayoutLinesQueryDto extends PageQueryDto {
  @IsOptional()
  @IsIn(LINE_STATUSES)
  status?: (typeof LINE_STATUSES)[number];
}

export class PayoutLinePageDto {
  /** Largest drafted amount first, then by id (descending). */
  items: PayoutLineDto[];
  /**
   * Pass as `cursor` for the next page; null on the last page.
   * @example WyIxNDMwMCIsImYwZTFkMmMzLWI0YTUtNDk2OC04Nzc2LWE1YjRjM2QyZTFmMCJd
   */
  nextCursor: string | null;
}

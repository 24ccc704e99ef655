import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { stacked } from '../validation/stacked';

/**
 * `limit` of a list query: 1–100 items (default 20; the property's initializer sets it, so
 * give it `= 20`). Explicit in the document: the plugin would mark it required (no `?`: the
 * default fills it in), and it cannot see the bounds inside this decorator.
 */
export const ListLimit = (): PropertyDecorator =>
  stacked(
    ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20 }),
    IsOptional(),
    Type(() => Number),
    IsInt(),
    Min(1),
    Max(100),
  );

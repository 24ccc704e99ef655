import { applyDecorators } from '@nestjs/common';

/**
 * One decorator for a field's rules, listed as they would be stacked on the property. Applied
 * bottom-up, as TypeScript applies stacked decorators (applyDecorators goes top-down):
 * class-validator reports a field's failures in the order its rules were applied, so a field's
 * messages keep their order when its rules move into one decorator.
 */
export function stacked(...decorators: PropertyDecorator[]): PropertyDecorator {
  return applyDecorators(...[...decorators].reverse());
}

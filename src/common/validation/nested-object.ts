import { Type } from 'class-transformer';
import { IsObject, ValidateNested } from 'class-validator';
import { stacked } from './stacked';

/** A nested object validated as its DTO class (`type`), which it is turned into first. */
export const IsNestedObject = (type: () => new () => object): PropertyDecorator =>
  stacked(IsObject(), ValidateNested(), Type(type));

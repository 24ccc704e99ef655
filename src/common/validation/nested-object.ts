import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsObject, ValidateNested } from 'class-validator';
import { stacked } from './stacked';

/** A nested object validated as its DTO class (`type`), which it is turned into first. */
export const IsNestedObject = (type: () => new () => object): PropertyDecorator =>
  stacked(IsObject(), ValidateNested(), Type(type));

/**
 * A list of at most `max` nested objects, each validated as its DTO class. Each item must be an
 * object: ValidateNested alone goes into an item that is itself a list and validates what that
 * holds, so `[[{…}]]` passed, was stored nested a level too deep (a transcript), or was refused
 * later for the wrong reason (a skill "undefined").
 */
export const IsNestedObjects = (type: () => new () => object, max: number): PropertyDecorator =>
  stacked(
    IsArray(),
    ArrayMaxSize(max),
    IsObject({ each: true, message: 'each item of $property must be an object' }),
    ValidateNested({ each: true }),
    Type(type),
  );

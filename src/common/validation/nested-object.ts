import { Type } from 'class-transformer';
import { IsObject, ValidateBy, ValidateNested } from 'class-validator';
import { stacked } from './stacked';

/** A nested object validated as its DTO class (`type`), which it is turned into first. */
export const IsNestedObject = (type: () => new () => object): PropertyDecorator =>
  stacked(IsObject(), ValidateNested(), Type(type));

/**
 * Each item of a list validated as its DTO class (`type`), under the property's own IsArray and
 * ArrayMaxSize (which stay on the property: the OpenAPI plugin reads `maxItems` from there).
 * ValidateNested alone goes into an item that is itself a list and validates what that holds,
 * so `[[{…}]]` passed: a transcript stored a level too deep, or a skill refused later as
 * "undefined". Any other item that is not an object ValidateNested refuses by its index.
 */
export const IsNestedObjects = (type: () => new () => object): PropertyDecorator =>
  stacked(
    ValidateBy({
      name: 'noListItems',
      validator: {
        validate: (value: unknown) => !Array.isArray(value) || !value.some(Array.isArray),
        defaultMessage: () => 'each item of $property must be an object, not a list',
      },
    }),
    ValidateNested({ each: true }),
    Type(type),
  );

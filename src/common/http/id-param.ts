import { Param, ParseUUIDPipe } from '@nestjs/common';
import { DomainError } from '../errors/domain-error';

/** A UUID path parameter; anything else is a 400 that names the parameter. */
export const IdParam = (name = 'id') =>
  Param(
    name,
    new ParseUUIDPipe({
      exceptionFactory: () =>
        DomainError.validation([{ field: name, messages: [`${name} must be a UUID`] }]),
    }),
  );

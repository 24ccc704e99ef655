import { Param, PipeTransform } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import { DomainError } from '../errors/domain-error';

/**
 * A bot's id for a conversation, as escalations take it and paths name it. Not `.` or `..`
 * alone: URL clients (fetch, curl) resolve such a path segment away, even percent-encoded, so a
 * ticket escalated under one could never be read, relayed to or withdrawn.
 */
export const EXTERNAL_ID = /^(?!\.\.?$)[A-Za-z0-9._:/-]{1,200}$/;
export const EXTERNAL_ID_RULE =
  'externalId must be 1-200 characters of letters, digits and . _ : / -, and not . or .. alone';

/** The bot's id for a conversation (as sent in the escalation); a 400 naming it otherwise. */
class ExternalIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!EXTERNAL_ID.test(value)) {
      throw DomainError.validation([
        {
          field: 'externalId',
          messages: [EXTERNAL_ID_RULE],
        },
      ]);
    }
    return value;
  }
}

export const ExternalIdParam = () => Param('externalId', new ExternalIdPipe());
export const EXTERNAL_ID_DOC = ApiParam({
  name: 'externalId',
  description: "Your bot's id for the conversation, as sent in the escalation (URL-encoded)",
  example: 'conv-8842',
});

import { ApiInteger } from '../../common/http/openapi-property';

/** How many escalations had one kind of trouble, and what share of all they are. */
export class HandoffTroubleDto {
  /** @example 12 */
  @ApiInteger()
  count: number;
  /**
   * count ÷ escalations, to three decimals; null with no escalations.
   * @example 0.08
   */
  share: number | null;
}

export class MissingItemDto {
  /**
   * As agents wrote it, in lower case.
   * @example "order id"
   */
  item: string;
  /** @example 9 */
  @ApiInteger()
  count: number;
}

/**
 * How well the company's bot hands customers over, over the escalations of the last
 * `windowDays`: what agents flagged incomplete, and what came back (reopened), went on
 * (transferred) or went away (withdrawn).
 */
export class HandoffQualityDto {
  /** @example 90 */
  @ApiInteger()
  windowDays: number;
  /**
   * Escalations created in the window.
   * @example 150
   */
  @ApiInteger()
  escalations: number;
  /**
   * Of them, resolutions whose agent said whether the handoff was complete.
   * @example 96
   */
  @ApiInteger()
  judged: number;
  /** Flagged incomplete by the agent who resolved it. */
  incomplete: HandoffTroubleDto;
  reopened: HandoffTroubleDto;
  transferred: HandoffTroubleDto;
  withdrawn: HandoffTroubleDto;
  /** Any of the four (an escalation counts once). */
  troubled: HandoffTroubleDto;
  /** What agents found missing most often, the most frequent first (ten at most). */
  mostMissing: MissingItemDto[];
}

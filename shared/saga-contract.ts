/**
 * What activities and the saga kit agree on. Safe to import from workflow code:
 * types and plain constants only.
 */

/** What every saga step activity returns: the value and how it was obtained. */
export interface StepResult<T> {
  value: T;
  /** Temporal's attempt number for the execution that answered (1 for the first try). */
  attempt: number;
  /** Which path answered when a step has fallbacks: e.g. "primary", "alternative:anpr-backup", "cache". */
  via?: string;
}

/** The failure type of a business rejection; its details carry the rejection code. */
export const REJECTION_FAILURE = 'BusinessRejection';

/** The details attached to every failure an activity raises. */
export interface StepFailureDetails {
  attempt: number;
  /** Set for business rejections: INVALID_PLATE, LOT_FULL, ... */
  code?: string;
}

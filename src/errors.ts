/**
 * Failures spokebot knows how to explain. Each has a code, keeps its `cause`, and says what a
 * person should do next (`hint`), so one handler can log it and one view can show it.
 */
export abstract class SpokeError extends Error {
  abstract readonly code: string;
  /** What the admin can do about it, in a sentence. */
  abstract readonly hint: string;
}

/** A value that would change a ServiceNow encoded query if put into it (ServiceNow splits encoded queries on ^ and drops what it does not understand). */
export class UnsafeQueryValueError extends SpokeError {
  readonly code = 'unsafe_query_value';
  readonly hint = 'Names may not contain ^ or line breaks; choose another name.';
  constructor(readonly field: string) {
    super(`refused a value for ${field} that would change the ServiceNow query`);
  }
}

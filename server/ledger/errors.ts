/** Errors of the ledger that are the caller's mistake, not a broker event. */
export type LedgerErrorKind = 'unknown_team' | 'no_book' | 'invalid_intent';

/** A caller mistake (not a broker event): the team has no book, or an intent is malformed. */
export class LedgerError extends Error {
  override name = 'LedgerError';
  readonly kind: LedgerErrorKind;
  constructor(kind: LedgerErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.kind = kind;
  }
}

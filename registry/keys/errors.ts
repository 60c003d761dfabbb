/**
 * Refusals of key and team administration. `statusCode` and `code` are what the HTTP error
 * handler turns into `{error, message}`; the CLI prints `message`.
 */
export class AdminRequestError extends Error {
  override name = 'AdminRequestError';
  readonly statusCode: number;
  readonly code: string;
  constructor(statusCode: number, code: string, message: string) {
    super(message);
    this.statusCode = statusCode;
    this.code = code;
  }
}

export function teamNotFound(teamId: string, removed: boolean): AdminRequestError {
  return removed
    ? new AdminRequestError(404, 'team_removed', `team "${teamId}" was removed from the registry; add it back to team_registry.yaml first`)
    : new AdminRequestError(404, 'team_not_found', `no team "${teamId}" in the registry (add it to team_registry.yaml, or: qtc admin teams add)`);
}

export function keyNotFound(keyId: string): AdminRequestError {
  return new AdminRequestError(404, 'key_not_found', `no API key with id "${keyId}"`);
}

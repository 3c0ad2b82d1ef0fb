// Errors the ledger raises for the caller's mistakes. Each maps to one 4xx and
// names the field at fault, so a client can fix the request.

export class LedgerError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 422,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export const notFound = (what: string, field?: string) => new LedgerError(404, 'not_found', `${what} not found`, field);
export const invalid = (field: string, message: string) => new LedgerError(422, 'invalid', message, field);
export const conflict = (message: string, field?: string) => new LedgerError(409, 'conflict', message, field);
export const forbidden = (message: string) => new LedgerError(403, 'forbidden', message);

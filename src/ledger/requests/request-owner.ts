// A requestId names one request of one member: its hold, the record that settles it
// and the retries of both. The same id sent for another member is a gateway's mistake
// (or another member's request); settling or replaying across members would move spend
// and holds between them, so it is refused before anything changes.
import type { Db } from '../../db/client.js';
import { conflict, type LedgerError } from '../errors.js';
import { findMember } from '../settings/members.js';
import type { Tx } from '../transactions.js';

export const requestOfAnotherMember = (requestId: string): LedgerError =>
  conflict(`requestId '${requestId}' is another member's request: its hold, its record and their retries must all name the member who made it`, 'member');

/** A requestId seen before with a different body: `member` when it was another member's, else `requestId`. */
export function repeatedWithDifferentBody(requestId: string, ownerId: string, askedId: string | undefined): LedgerError {
  if (askedId !== undefined && askedId !== ownerId) return requestOfAnotherMember(requestId);
  return conflict(`requestId '${requestId}' was already recorded with a different body`, 'requestId');
}

/** Our id of a member reference, for comparing with a request's owner (undefined when unknown). */
export async function memberIdOf(db: Db | Tx, orgId: string, ref: string): Promise<string | undefined> {
  return (await findMember(db as Db, orgId, ref))?.id;
}

// The check before a model request: may this member proceed, and on what terms?
import type { Db } from '../db/client.js';
import { decideAuthorize, type AuthorizeDecision } from '../domain/caps.js';
import { invalid } from './errors.js';
import { loadLimitsState, loadOrg } from './limits-state.js';
import { requireActiveMember } from './members.js';
import { knownModel } from './prices.js';

export interface AuthorizeInput {
  orgId: string;
  member: string;
  model: string;
  at: Date;
}

export async function authorizeUsage(db: Db, input: AuthorizeInput): Promise<AuthorizeDecision & { memberId: string }> {
  const [org, member, modelKnown] = await Promise.all([
    loadOrg(db, input.orgId),
    requireActiveMember(db, input.orgId, input.member),
    knownModel(db, input.model, input.at),
  ]);
  if (!modelKnown) throw invalid('model', `model '${input.model}' has no price in the price book`);
  const state = await loadLimitsState(db, org, member, input.at);
  return { ...decideAuthorize(state, input.at), memberId: member.id };
}

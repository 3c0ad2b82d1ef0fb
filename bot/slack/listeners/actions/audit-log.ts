// "Older" / "Newer" on the owner's Audit log tab. The clicking user's stored role
// is checked first: anyone but an owner (a replayed payload included) is refused
// and shown nothing of the log.
import { isOwner } from '../../../../src/ledger/actors.js';
import { parseCursor } from '../../../audit-log/page.js';
import { originOf, parseJson, type ButtonArgs } from '../../clicks.js';
import type { SlackDeps } from '../../deps.js';
import { identify, idsOf } from '../../identity.js';
import { auditOwnersOnly, replyNotLinked, replyRefused } from '../../replies.js';
import { publishHome } from '../../surfaces.js';

export const auditPaging = (deps: SlackDeps) => async (args: ButtonArgs) => {
  await args.ack();
  const origin = originOf(args.body);
  const who = await identify(deps, idsOf(args.context, args.body, args.body.user.id), args.client);
  if (who.kind !== 'member') return replyNotLinked(args.client, deps, who, origin);
  if (!isOwner(who.member)) return replyRefused(args.client, deps, who, origin, auditOwnersOnly(who.org.name));
  const before = parseCursor(parseJson<{ before?: unknown }>(args.action.value, {}).before);
  await publishHome(args.client, deps, who, { tab: 'audit', auditBefore: before });
};

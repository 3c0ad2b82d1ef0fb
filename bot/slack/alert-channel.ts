// Where owners' cap alerts go in Slack: a channel an owner picked, or (null) each
// owner by direct message. Owner-only and audited, like every other money setting.
import type { Db } from '../../src/db/client.js';
import type { Member, Organization } from '../../src/generated/prisma/client.js';
import { actorLabel, requireOwner } from '../../src/ledger/actors.js';
import { writeAudit } from '../../src/ledger/audit.js';
import { inTransaction } from '../../src/ledger/transactions.js';

export async function setSlackAlertChannel(db: Db, org: Organization, actor: Member, channelId: string | null): Promise<Organization> {
  requireOwner(actor);
  return inTransaction(db, async (tx) => {
    const before = await tx.organization.findUniqueOrThrow({ where: { id: org.id } });
    const after = await tx.organization.update({ where: { id: org.id }, data: { slackAlertChannelId: channelId } });
    await writeAudit(tx, org.id, [{ actor: actorLabel(actor), action: 'alerts.slack_channel.set', subject: 'org', before: { channel: before.slackAlertChannelId }, after: { channel: channelId } }]);
    return after;
  });
}

// Conversation references in the database (TeamsConversation), so alerts, request
// cards and digests reach people proactively, also after a restart. A reference is
// stored from every personal-chat activity a user sends; for someone who never
// wrote to the bot, the personal chat is created through the Bot Connector (the
// tenant and service URL learnt from the org's other chats, or configured).
import type { Db } from '../../src/db/client.js';
import type { Account, BotTransport, ConversationRef, IncomingActivity } from './activity.js';
import { tenantOf } from './activity.js';
import type { TeamsSettings } from './settings.js';

export interface ConversationStoreDeps {
  db: Db;
  transport: BotTransport;
  settings: TeamsSettings;
  log: (line: string) => void;
}

const isPersonal = (a: IncomingActivity) => a.conversation?.conversationType === 'personal' || (!a.conversation?.conversationType && !a.conversation?.isGroup);

export function conversationStore(deps: ConversationStoreDeps) {
  const { db } = deps;

  async function save(orgId: string, memberId: string | null, aadObjectId: string, ref: ConversationRef) {
    const { activityId: _activityId, ...reference } = ref;
    const data = { memberId, conversationId: reference.conversation.id, serviceUrl: reference.serviceUrl, reference: reference as object };
    await db.teamsConversation.upsert({
      where: { orgId_aadObjectId: { orgId, aadObjectId } },
      create: { orgId, aadObjectId, ...data },
      update: data,
    });
  }

  return {
    /** Keeps the personal chat of the sender of an activity (and its latest service URL). */
    async remember(orgId: string, memberId: string | null, activity: IncomingActivity, ref: ConversationRef): Promise<void> {
      const aadObjectId = activity.from?.aadObjectId;
      if (!aadObjectId || !isPersonal(activity)) return;
      const tenantId = tenantOf(activity);
      await save(orgId, memberId, aadObjectId, {
        ...ref,
        user: { ...activity.from, aadObjectId },
        conversation: { ...ref.conversation, ...(tenantId ? { tenantId } : {}), conversationType: 'personal' },
      });
    },

    /** The personal chat with a Teams user, created when there is none yet; null when it cannot be (unknown tenant). */
    async personal(orgId: string, person: { memberId: string; teamsUserId: string; name: string }): Promise<ConversationRef | null> {
      const stored = await db.teamsConversation.findUnique({ where: { orgId_aadObjectId: { orgId, aadObjectId: person.teamsUserId } } });
      if (stored) {
        if (stored.memberId !== person.memberId) await db.teamsConversation.update({ where: { id: stored.id }, data: { memberId: person.memberId } });
        return stored.reference as unknown as ConversationRef;
      }
      const [org, latest] = await Promise.all([
        db.organization.findUniqueOrThrow({ where: { id: orgId }, select: { teamsTenantId: true } }),
        db.teamsConversation.findFirst({ where: { orgId }, orderBy: { updatedAt: 'desc' } }),
      ]);
      const latestRef = latest?.reference as unknown as ConversationRef | undefined;
      const tenantId = org.teamsTenantId ?? latestRef?.conversation.tenantId ?? (deps.settings.auth.kind === 'entra' ? deps.settings.auth.tenantId : null);
      if (!tenantId) {
        deps.log(`[teams] cannot open a chat with ${person.name}: the org's Microsoft Teams tenant is unknown (set Organization.teamsTenantId, or have someone write to the bot first)`);
        return null;
      }
      const bot: Account = latestRef?.bot ?? { id: deps.transport.appId ? `28:${deps.transport.appId}` : 'extra-usage-bot' };
      const user: Account = { id: person.teamsUserId, aadObjectId: person.teamsUserId, name: person.name };
      const ref = await deps.transport.createPersonalConversation({ serviceUrl: latest?.serviceUrl ?? deps.settings.defaultServiceUrl, tenantId, user, bot });
      await save(orgId, person.memberId, person.teamsUserId, ref);
      return ref;
    },

    /** Teams user ids ("29:…") of these people, where a chat told us (for card refresh lists). */
    async userIdsOf(orgId: string, aadObjectIds: string[]): Promise<string[]> {
      if (aadObjectIds.length === 0) return [];
      const rows = await db.teamsConversation.findMany({ where: { orgId, aadObjectId: { in: aadObjectIds } } });
      return rows
        .map((r) => (r.reference as unknown as ConversationRef).user?.id)
        .filter((id): id is string => !!id && !aadObjectIds.includes(id));
    },
  };
}

export type ConversationStore = ReturnType<typeof conversationStore>;

// Conversation references in the database (TeamsConversation), so alerts, request
// cards and digests reach people proactively, also after a restart. A reference is
// stored from every personal-chat activity a user sends; for someone who never
// wrote to the bot, the personal chat is created through the Bot Connector (the
// tenant and service URL learnt from the org's other chats, or configured).
// Installing the app (in a team or for a person) is remembered as well, so the
// tenant is known before anyone writes to the bot; an org whose tenant is still
// unknown is logged once and shown on GET /health.
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

export const isPersonal = (a: Pick<IncomingActivity, 'conversation'>) => a.conversation?.conversationType === 'personal' || (!a.conversation?.conversationType && !a.conversation?.isGroup);

/** The row of the team channel owners chose for their alerts (one per org). */
const ALERT_CHANNEL_KEY = 'channel:alerts';

/** The row that keeps a member's Teams user id ("29:…") as the team roster gave it. */
const ROSTER_PREFIX = 'roster:';
const ROSTER_KEY = (aadObjectId: string) => `${ROSTER_PREFIX}${aadObjectId}`;

/** The row that remembers where the app was installed in a tenant (one per tenant and org). */
const INSTALL_KEY = (tenantId: string) => `install:${tenantId}`;

export function conversationStore(deps: ConversationStoreDeps) {
  const { db } = deps;
  /** Orgs already reported as having no known tenant (reported once per process). */
  const reported = new Set<string>();

  /** Where to open chats for an org: its tenant and the latest Bot Connector and bot account seen. */
  async function reach(orgId: string): Promise<{ tenantId: string | null; serviceUrl: string | null; bot: Account | null }> {
    const [org, latest] = await Promise.all([
      db.organization.findUniqueOrThrow({ where: { id: orgId }, select: { teamsTenantId: true } }),
      // Real conversations only: the roster's id rows hold no tenant or bot account.
      db.teamsConversation.findFirst({ where: { orgId, NOT: { aadObjectId: { startsWith: ROSTER_PREFIX } } }, orderBy: { updatedAt: 'desc' } }),
    ]);
    const latestRef = latest?.reference as unknown as ConversationRef | undefined;
    const tenantId = org.teamsTenantId ?? latestRef?.conversation.tenantId ?? (deps.settings.auth.kind === 'entra' ? deps.settings.auth.tenantId : null);
    return { tenantId, serviceUrl: latest?.serviceUrl ?? null, bot: latestRef?.bot ?? null };
  }

  /** Kept in the database (GET /health, the owners' notice): logged once per person, not once per process. */
  async function markUnreachable(orgId: string, person: { memberId: string; name: string }, reason: string) {
    const key = { orgId_memberId_channel: { orgId, memberId: person.memberId, channel: 'teams' } };
    const known = await db.chatUnreachable.findUnique({ where: key });
    if (known?.reason === reason) return;
    await db.chatUnreachable.upsert({ where: key, create: { orgId, memberId: person.memberId, channel: 'teams', reason }, update: { reason } });
    if (!known) deps.log(`teams: OPERATOR ACTION: cannot reach ${person.name} (org ${orgId}): ${reason}. Shown on GET /health and told to the org's owners until a chat with them works.`);
  }

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
      const where = await reach(orgId);
      const tenantId = where.tenantId;
      if (!tenantId) {
        if (!reported.has(orgId)) {
          reported.add(orgId);
          deps.log(`teams: OPERATOR ACTION: cannot open a chat with ${person.name} (and anyone else of this org): the org's Microsoft Teams tenant is unknown. Install the app in Teams (a team or someone's personal scope), or set "teamsTenantId" in the org document. Shown on GET /health until then.`);
        }
        return null;
      }
      const bot: Account = where.bot ?? { id: deps.transport.appId ? `28:${deps.transport.appId}` : 'extra-usage-bot' };
      // The roster's Teams user id when a team install gave one: a chat by Entra object id
      // needs the app installed in the user's personal scope, which a team-only install lacks.
      const roster = await db.teamsConversation.findUnique({ where: { orgId_aadObjectId: { orgId, aadObjectId: ROSTER_KEY(person.teamsUserId) } } });
      const rosterId = (roster?.reference as unknown as ConversationRef | undefined)?.user?.id;
      const user: Account = { id: rosterId ?? person.teamsUserId, aadObjectId: person.teamsUserId, name: person.name };
      let ref: ConversationRef;
      try {
        ref = await deps.transport.createPersonalConversation({ serviceUrl: where.serviceUrl ?? deps.settings.defaultServiceUrl, tenantId, user, bot });
      } catch (err) {
        // Refused (not a passing failure, which is raised so the activity retries): say who and why, once, until it works.
        const status = (err as { statusCode?: number }).statusCode;
        if (status !== 403 && status !== 404) throw err;
        const why = rosterId
          ? `Microsoft Teams refused a chat with them (${status})`
          : `Microsoft Teams refused a chat by their Entra object id (${status}): the app is not installed for them. Install it in their personal scope (Teams admin center, app setup policy) or in a team they belong to`;
        await markUnreachable(orgId, person, why);
        return null;
      }
      const cleared = await db.chatUnreachable.deleteMany({ where: { orgId, memberId: person.memberId, channel: 'teams' } });
      if (cleared.count) deps.log(`teams: ${person.name} (org ${orgId}) can be reached again: a chat with them was opened`);
      await save(orgId, person.memberId, person.teamsUserId, ref);
      return ref;
    },

    /**
     * The app was installed (or updated) in a team or a personal scope: the tenant,
     * Bot Connector and bot account are kept (one row per tenant), so chats can be
     * opened before anyone writes. Removing the app forgets it.
     */
    async installed(orgId: string, activity: IncomingActivity, ref: ConversationRef, removed = false): Promise<void> {
      const tenantId = tenantOf(activity);
      if (!tenantId) return;
      if (removed) {
        await db.teamsConversation.deleteMany({ where: { orgId, aadObjectId: INSTALL_KEY(tenantId) } });
        return;
      }
      const { activityId: _activityId, ...reference } = ref;
      await save(orgId, null, INSTALL_KEY(tenantId), { ...reference, conversation: { ...reference.conversation, tenantId } });
      if (reported.delete(orgId)) deps.log(`teams: the Microsoft Teams tenant of org ${orgId} is known now (${tenantId}, from the app's installation): chats can be opened`);
    },

    /** Keeps the Teams user ids a team's roster gave for these members, so their chats can be opened by it. */
    async rosterIds(orgId: string, ids: { aadObjectId: string; userId: string }[]): Promise<void> {
      const latest = await db.teamsConversation.findFirst({ where: { orgId, NOT: { aadObjectId: { startsWith: ROSTER_PREFIX } } }, orderBy: { updatedAt: 'desc' } });
      for (const { aadObjectId, userId } of ids) {
        const reference = { user: { id: userId, aadObjectId }, conversation: { id: `roster:${userId}` }, serviceUrl: latest?.serviceUrl ?? deps.settings.defaultServiceUrl };
        const data = { memberId: null, conversationId: reference.conversation.id, serviceUrl: reference.serviceUrl, reference: reference as object };
        await db.teamsConversation.upsert({ where: { orgId_aadObjectId: { orgId, aadObjectId: ROSTER_KEY(aadObjectId) } }, create: { orgId, aadObjectId: ROSTER_KEY(aadObjectId), ...data }, update: data });
      }
    },

    /** Members Teams refused a chat with (kept until a chat with them works), with why and since when. */
    async unreachable(orgId?: string): Promise<{ orgId: string; org: string; memberId: string; member: string; role: string; reason: string; since: Date; ownersToldAt: Date | null }[]> {
      const rows = await db.chatUnreachable.findMany({
        // Someone who has left (or whose Teams link was removed) is no one to reach.
        where: { channel: 'teams', ...(orgId ? { orgId } : {}), member: { removedAt: null, teamsUserId: { not: null } } },
        include: { member: { select: { name: true, role: true } }, org: { select: { slug: true } } },
        orderBy: { since: 'asc' },
      });
      return rows.map((r) => ({ orgId: r.orgId, org: r.org.slug, memberId: r.memberId, member: r.member.name, role: r.member.role, reason: r.reason, since: r.since, ownersToldAt: r.ownersToldAt }));
    },

    /** True when chats can be opened for the org (its tenant is known). Reports once when it is not. */
    async tenantKnown(orgId: string, label: string): Promise<boolean> {
      if ((await reach(orgId)).tenantId) return true;
      if (!reported.has(orgId)) {
        reported.add(orgId);
        deps.log(`teams: OPERATOR ACTION: org '${label}' has no known Microsoft Teams tenant: alerts, request cards and digests cannot reach anyone until the app is installed in Teams or someone writes to the bot (or set "teamsTenantId" in the org document). Shown on GET /health until then.`);
      }
      return false;
    },

    /** The team channel owners' alerts also go to, or null. */
    async alertChannel(orgId: string): Promise<{ ref: ConversationRef; name: string; setBy: string | null } | null> {
      const row = await db.teamsConversation.findUnique({ where: { orgId_aadObjectId: { orgId, aadObjectId: ALERT_CHANNEL_KEY } } });
      if (!row) return null;
      const ref = row.reference as unknown as ConversationRef;
      return { ref, name: ref.conversation.name ?? 'a team channel', setBy: row.memberId };
    },

    /** Owners' alerts go to this channel from now on (the reference points at the channel itself, not a thread in it). */
    async setAlertChannel(orgId: string, memberId: string, ref: ConversationRef): Promise<void> {
      const { activityId: _activityId, user: _user, ...reference } = ref;
      await save(orgId, memberId, ALERT_CHANNEL_KEY, reference as ConversationRef);
    },

    async clearAlertChannel(orgId: string): Promise<boolean> {
      return (await db.teamsConversation.deleteMany({ where: { orgId, aadObjectId: ALERT_CHANNEL_KEY } })).count > 0;
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

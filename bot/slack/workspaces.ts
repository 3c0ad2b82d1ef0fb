// Which organisation a Slack workspace belongs to, and the bot token to reach it.
//  - OAuth install (many workspaces): Bolt's InstallationStore backed by the
//    SlackInstallation table. The install link an operator hands out is signed, names
//    the org, expires (7 days) and completes one install only; the org travels in the
//    OAuth state (signed by Bolt), so a workspace is only ever linked to the org its
//    installer was invited to.
//  - One workspace (SLACK_BOT_TOKEN + SLACK_ORG_SLUG): the token's workspace, found
//    with auth.test at start (or, when Slack is unreachable then, once it answers),
//    belongs to that org; nothing is stored.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Installation, InstallationQuery, InstallationStore } from '@slack/bolt';
import type { Db } from '../../src/db/client.js';

export interface Workspaces {
  /** The org a workspace (or Enterprise Grid org) belongs to; null when not connected. */
  orgIdFor(teamId: string | undefined, enterpriseId: string | undefined): Promise<string | null>;
  /** A bot token that reaches the org's workspace; null when Slack is not installed for it. */
  botTokenFor(orgId: string): Promise<string | null>;
  /** The app was uninstalled or its token revoked: drops what is stored for that workspace; how many installations were removed. */
  forget(teamId: string | undefined, enterpriseId: string | undefined, orgWide: boolean): Promise<number>;
}

// ------------------------------------------------------------------ one workspace

/** The bot's own workspace and user, as auth.test answers them. */
export interface SlackBotIdentity {
  teamId: string;
  botUserId: string;
  botId?: string | undefined;
}

export interface SingleWorkspace extends Workspaces {
  /** Null until auth.test has answered (Slack unreachable at start): no workspace is known yet. */
  readonly identity: SlackBotIdentity | null;
  /** What auth.test answered, once it has. */
  learn(identity: SlackBotIdentity): void;
}

export function singleWorkspace(db: Db, opts: { botToken: string; orgSlug: string; identity?: SlackBotIdentity }): SingleWorkspace {
  const orgId = async () => (await db.organization.findUnique({ where: { slug: opts.orgSlug }, select: { id: true } }))?.id ?? null;
  let identity: SlackBotIdentity | null = opts.identity ?? null;
  return {
    get identity() {
      return identity;
    },
    learn(found) {
      identity = found;
    },
    async orgIdFor(teamId) {
      return identity && teamId === identity.teamId ? orgId() : null;
    },
    async botTokenFor(id) {
      // Sending needs only the token: notices go out as soon as Slack answers.
      return (await orgId()) === id ? opts.botToken : null;
    },
    async forget() {
      return 0; // nothing stored: the token comes from the environment
    },
  };
}

// ------------------------------------------------------------------ OAuth install

const teamKey = (i: { isEnterpriseInstall?: boolean; team?: { id: string } | undefined; enterprise?: { id: string } | undefined }) =>
  (i.isEnterpriseInstall ? i.enterprise?.id : i.team?.id) ?? i.enterprise?.id;

/** The org named by the install link, carried through Slack in the signed OAuth state. */
export function orgSlugOfMetadata(metadata: string | undefined): string | null {
  if (!metadata) return null;
  try {
    const parsed = JSON.parse(metadata) as { org?: unknown };
    return typeof parsed.org === 'string' && parsed.org ? parsed.org : null;
  } catch {
    return null;
  }
}

/** The install link's one-time id, carried like the org. */
function linkOfMetadata(metadata: string | undefined): string | null {
  try {
    const parsed = JSON.parse(metadata ?? '{}') as { link?: unknown };
    return typeof parsed.link === 'string' && /^[A-Za-z0-9_-]{16,64}$/.test(parsed.link) ? parsed.link : null;
  } catch {
    return null;
  }
}

/** Whether an install already completed through this link (its id is kept in the stored installation's metadata). */
export async function installLinkUsed(db: Db, link: string): Promise<boolean> {
  return (await db.slackInstallation.count({ where: { installation: { path: ['metadata'], string_contains: `"link":"${link}"` } } })) > 0;
}

export class InstallRefused extends Error {}

export function databaseInstallationStore(db: Db): InstallationStore & Workspaces {
  return {
    async storeInstallation(installation) {
      const slug = orgSlugOfMetadata(installation.metadata);
      if (!slug) throw new InstallRefused('this install did not start from an organisation\'s install link');
      // Checked again here: two installs started from one link both reach this point.
      const link = linkOfMetadata(installation.metadata);
      if (link && (await installLinkUsed(db, link))) throw new InstallRefused('this install link was already used; ask the operator for a new one');
      const org = await db.organization.findUnique({ where: { slug } });
      if (!org) throw new InstallRefused(`organisation '${slug}' not found`);
      const teamId = teamKey(installation);
      if (!teamId) throw new InstallRefused('Slack returned no workspace id');
      const existing = await db.slackInstallation.findUnique({ where: { teamId } });
      if (existing && existing.orgId !== org.id) {
        throw new InstallRefused(`workspace ${teamId} is already connected to another organisation; the operator must remove that installation first`);
      }
      const botToken = installation.bot?.token;
      if (!botToken) throw new InstallRefused('Slack returned no bot token (is the bot scope requested?)');
      const data = {
        orgId: org.id,
        enterpriseId: installation.enterprise?.id ?? null,
        botToken,
        botUserId: installation.bot?.userId ?? null,
        installation: JSON.parse(JSON.stringify(installation)) as object,
      };
      await db.slackInstallation.upsert({ where: { teamId }, create: { teamId, ...data }, update: data });
    },
    async fetchInstallation(query: InstallationQuery<boolean>) {
      const row = await findRow(db, query.isEnterpriseInstall ? undefined : query.teamId, query.enterpriseId);
      if (!row) throw new Error(`no Slack installation for workspace ${query.teamId ?? query.enterpriseId ?? '?'}`);
      return row.installation as unknown as Installation<'v1' | 'v2', boolean>;
    },
    async deleteInstallation(query: InstallationQuery<boolean>) {
      const key = query.isEnterpriseInstall ? query.enterpriseId : query.teamId;
      if (key) await db.slackInstallation.deleteMany({ where: { teamId: key } });
    },
    async orgIdFor(teamId, enterpriseId) {
      return (await findRow(db, teamId, enterpriseId))?.orgId ?? null;
    },
    async botTokenFor(orgId) {
      const row = await db.slackInstallation.findFirst({ where: { orgId }, orderBy: { updatedAt: 'desc' } });
      return row?.botToken ?? null;
    },
    async forget(teamId, enterpriseId, orgWide) {
      // An org-wide install is stored under the enterprise id; a workspace's under its team id.
      const key = orgWide ? enterpriseId : teamId;
      if (!key) return 0;
      return (await db.slackInstallation.deleteMany({ where: { teamId: key } })).count;
    },
  };
}

async function findRow(db: Db, teamId: string | undefined, enterpriseId: string | undefined) {
  if (teamId) {
    const row = await db.slackInstallation.findUnique({ where: { teamId } });
    if (row) return row;
  }
  if (enterpriseId) {
    // An org-wide (Enterprise Grid) install is stored under the enterprise id.
    return (await db.slackInstallation.findUnique({ where: { teamId: enterpriseId } })) ?? (await db.slackInstallation.findFirst({ where: { enterpriseId }, orderBy: { updatedAt: 'desc' } }));
  }
  return null;
}

// ------------------------------------------------------------------ install links

/** How long an install link works. */
export const INSTALL_LINK_TTL_MS = 7 * 24 * 3600_000;

const signature = (stateSecret: string, slug: string, exp: string, link: string) =>
  createHmac('sha256', stateSecret).update(`slack-install:${slug}:${exp}:${link}`).digest('base64url');

/**
 * The link an operator gives an org's Slack admin:
 * /slack/install?org=<slug>&exp=<unix seconds>&link=<one-time id>&sig=<hmac of all three>.
 */
export function installLink(baseUrl: string, stateSecret: string, slug: string, opts: { now?: Date; ttlMs?: number } = {}): string {
  const exp = String(Math.floor(((opts.now ?? new Date()).getTime() + (opts.ttlMs ?? INSTALL_LINK_TTL_MS)) / 1000));
  const link = randomBytes(18).toString('base64url');
  const url = new URL('/slack/install', baseUrl);
  url.searchParams.set('org', slug);
  url.searchParams.set('exp', exp);
  url.searchParams.set('link', link);
  url.searchParams.set('sig', signature(stateSecret, slug, exp, link));
  return url.toString();
}

export type InstallLinkCheck = { ok: true; slug: string; link: string } | { ok: false; reason: 'invalid' | 'expired' };

/** Whether an install link is genuine and still valid (whether it was used is asked of the store). */
export function verifyInstallLink(stateSecret: string, params: URLSearchParams, now = new Date()): InstallLinkCheck {
  const [org, exp, link, sig] = ['org', 'exp', 'link', 'sig'].map((k) => params.get(k));
  if (!org || !exp || !link || !sig || !/^\d{1,12}$/.test(exp)) return { ok: false, reason: 'invalid' };
  const expected = Buffer.from(signature(stateSecret, org, exp, link));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'invalid' };
  if (Number(exp) * 1000 <= now.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, slug: org, link };
}

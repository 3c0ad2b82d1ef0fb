// Which organisation a Slack workspace belongs to, and the bot token to reach it.
//  - OAuth install (many workspaces): Bolt's InstallationStore backed by the
//    SlackInstallation table. The install link an operator hands out is signed and
//    names the org; the org travels in the OAuth state (signed by Bolt), so a
//    workspace is only ever linked to the org its installer was invited to.
//  - One workspace (SLACK_BOT_TOKEN + SLACK_ORG_SLUG): the token's workspace, found
//    with auth.test at start, belongs to that org; nothing is stored.
import { createHmac, timingSafeEqual } from 'node:crypto';
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

export interface SingleWorkspace extends Workspaces {
  teamId: string;
  botUserId: string;
  botId: string | undefined;
}

export function singleWorkspace(db: Db, opts: { botToken: string; orgSlug: string; teamId: string; botUserId: string; botId?: string }): SingleWorkspace {
  const orgId = async () => (await db.organization.findUnique({ where: { slug: opts.orgSlug }, select: { id: true } }))?.id ?? null;
  return {
    teamId: opts.teamId,
    botUserId: opts.botUserId,
    botId: opts.botId,
    async orgIdFor(teamId) {
      return teamId === opts.teamId ? orgId() : null;
    },
    async botTokenFor(id) {
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

export class InstallRefused extends Error {}

export function databaseInstallationStore(db: Db): InstallationStore & Workspaces {
  return {
    async storeInstallation(installation) {
      const slug = orgSlugOfMetadata(installation.metadata);
      if (!slug) throw new InstallRefused('this install did not start from an organisation\'s install link');
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

const signature = (stateSecret: string, slug: string) => createHmac('sha256', stateSecret).update(`slack-install:${slug}`).digest('base64url');

/** The link an operator gives an org's Slack admin: /slack/install?org=<slug>&sig=<hmac>. */
export function installLink(baseUrl: string, stateSecret: string, slug: string): string {
  const url = new URL('/slack/install', baseUrl);
  url.searchParams.set('org', slug);
  url.searchParams.set('sig', signature(stateSecret, slug));
  return url.toString();
}

/** The org slug of a genuine install link, or null. */
export function verifyInstallLink(stateSecret: string, org: string | null, sig: string | null): string | null {
  if (!org || !sig) return null;
  const expected = Buffer.from(signature(stateSecret, org));
  const given = Buffer.from(sig);
  return expected.length === given.length && timingSafeEqual(expected, given) ? org : null;
}

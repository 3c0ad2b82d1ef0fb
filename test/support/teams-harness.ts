// The Teams bot as the Bot Framework Emulator runs it: the real CloudAdapter with
// empty credentials behind POST /api/messages, receiving activities over HTTP
// and replying to the connector stand-in (the activities' serviceUrl).
import { raiseOpening, applyRaise } from '../../src/ledger/requests/limit-raise.js';
import { randomUUID } from 'node:crypto';
import { startTeamsBot, type RunningTeamsBot } from '../../bot/teams/bot.js';
import type { TeamsConfig } from '../../bot/teams/settings.js';
import type { Db } from '../../src/db/client.js';
import type { Purchases } from '../../src/payments/purchases.js';
import { DEFAULT_COOLDOWN_AFTER_DENIAL_MS, requestWorkflowId, type RequestService } from '../../src/services/requests.js';
import { requireMayAsk } from '../../src/ledger/requests/request-eligibility.js';
import { conflict, notFound } from '../../src/ledger/errors.js';
import { requireActiveMember } from '../../src/ledger/settings/members.js';
import { applyDecision, openRequest, requestView } from '../../src/ledger/requests/requests.js';
import { enterpriseDoc, teamDoc } from './fixtures.js';
import { personalConversationId, startConnector, type ConnectorStandIn } from './teams-connector.js';

export const TENANT = 'tenant-acme';
export const BOT = { id: '28:extra-usage-bot', name: 'Extra usage' };

export interface TeamsUser {
  /** Teams user id (MRI). */
  id: string;
  aadObjectId: string;
  name: string;
}

export const USERS = {
  owner: { id: '29:owner', aadObjectId: 'aad-owner', name: 'Olivia Owner' },
  admin: { id: '29:admin', aadObjectId: 'aad-admin', name: 'Adam Admin' },
  alice: { id: '29:alice', aadObjectId: 'aad-alice', name: 'Alice' },
  bob: { id: '29:bob', aadObjectId: 'aad-bob', name: 'Bob' },
  stranger: { id: '29:stranger', aadObjectId: 'aad-stranger', name: 'Stan Stranger' },
} satisfies Record<string, TeamsUser>;

type Doc = ReturnType<typeof enterpriseDoc>;

/** The enterprise org of the fixtures, its members linked to the Teams users above. */
export function teamsEnterpriseDoc(over: Partial<Doc> = {}): Doc {
  const doc = enterpriseDoc(over);
  const link: Record<string, string> = { 'owner-1': USERS.owner.aadObjectId, 'admin-1': USERS.admin.aadObjectId, alice: USERS.alice.aadObjectId, bob: USERS.bob.aadObjectId };
  return { ...doc, members: doc.members.map((m) => ({ ...m, slackUserId: null, ...(link[m.externalId] ? { teamsUserId: link[m.externalId] } : {}) })) };
}

export function teamsTeamDoc(over: Partial<Doc> = {}): Doc {
  const doc = teamDoc(over);
  const link: Record<string, string> = { 'owner-1': USERS.owner.aadObjectId, alice: USERS.alice.aadObjectId };
  return { ...doc, members: doc.members.map((m) => ({ ...m, ...(link[m.externalId] ? { teamsUserId: link[m.externalId] } : {}) })) };
}

export interface BotAnswer {
  status: number;
  body: any;
}

export interface TeamsHarness {
  bot: RunningTeamsBot;
  connector: ConnectorStandIn;
  url: string;
  /** Every line the bot logged, in order. */
  logs: string[];
  /** Posts a raw activity (as the Bot Connector would) to /api/messages. */
  post(activity: Record<string, unknown>, headers?: Record<string, string>): Promise<BotAnswer>;
  message(user: TeamsUser, text: string, extra?: Record<string, unknown>): Promise<BotAnswer>;
  /** An Action.Execute click: adaptiveCard/action invoke. */
  invoke(user: TeamsUser, verb: string, data: Record<string, unknown>, trigger?: 'manual' | 'automatic', tenantId?: string): Promise<BotAnswer>;
  /** An Action.Submit click (older clients): a message carrying the data, replying to the card message. */
  submit(user: TeamsUser, data: Record<string, unknown>, replyToId?: string, tenantId?: string): Promise<BotAnswer>;
  /** The card in an invoke's answer. */
  cardOf(answer: BotAnswer): any;
  close(): Promise<void>;
}

let seq = 0;

export function activityFrom(user: TeamsUser, serviceUrl: string, fields: Record<string, unknown>, tenantId = TENANT): Record<string, unknown> {
  return {
    id: `in-${++seq}`,
    channelId: 'msteams',
    serviceUrl,
    timestamp: new Date().toISOString(),
    locale: 'en-US',
    from: { id: user.id, name: user.name, aadObjectId: user.aadObjectId },
    recipient: BOT,
    conversation: { id: personalConversationId(user.aadObjectId), conversationType: 'personal', tenantId },
    channelData: { tenant: { id: tenantId } },
    ...fields,
  };
}

export async function startTeamsHarness(db: Db, requests: RequestService, opts: { config?: Partial<TeamsConfig>; connector?: ConnectorStandIn; now?: () => Date; purchases?: Purchases } = {}): Promise<TeamsHarness> {
  const connector = opts.connector ?? (await startConnector());
  const lines: string[] = [];
  const bot = await startTeamsBot({
    config: {
      TEAMS_ALLOW_UNAUTHENTICATED: true,
      TEAMS_PORT: 0,
      TEAMS_ORG_SLUG: 'acme',
      TEAMS_SERVICE_URL: connector.url,
      MICROSOFT_APP_TYPE: 'SingleTenant',
      ...opts.config,
    },
    db,
    requests,
    log: (line) => {
      lines.push(line);
      if (process.env.TEST_LOG_LEVEL && process.env.TEST_LOG_LEVEL !== 'silent') console.log(line);
    },
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.purchases ? { purchases: opts.purchases } : {}),
  });
  if (!bot?.url) throw new Error('the Teams bot did not start');
  const url = `${bot.url}/api/messages`;
  const post: TeamsHarness['post'] = async (activity, headers = {}) => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(activity) });
    const text = await res.text();
    let body: any = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // a plain-text answer (e.g. an authentication error)
    }
    return { status: res.status, body };
  };
  return {
    bot,
    connector,
    url,
    logs: lines,
    post,
    message: (user, text, extra = {}) => post(activityFrom(user, connector.url, { type: 'message', text, ...extra })),
    invoke: (user, verb, data, trigger = 'manual', tenantId = TENANT) =>
      post(activityFrom(user, connector.url, { type: 'invoke', name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', id: '', verb, data }, trigger } }, tenantId)),
    submit: (user, data, replyToId, tenantId = TENANT) => post(activityFrom(user, connector.url, { type: 'message', value: data, ...(replyToId ? { replyToId } : {}) }, tenantId)),
    cardOf(answer) {
      if (answer.status !== 200 || answer.body?.type !== 'application/vnd.microsoft.card.adaptive') {
        throw new Error(`expected a card in the invoke answer, got ${answer.status} ${JSON.stringify(answer.body)}`);
      }
      return answer.body.value;
    },
    async close() {
      await bot.stop();
      if (!opts.connector) await connector.close();
    },
  };
}

/** Texts of a card (TextBlocks, RichTextBlocks and FactSet values), for assertions. */
export function textOf(card: unknown): string {
  const out: string[] = [];
  const walk = (n: unknown) => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    const o = n as Record<string, unknown>;
    if (o.type === 'TextBlock' && typeof o.text === 'string') out.push(o.text);
    if (o.type === 'RichTextBlock' && Array.isArray(o.inlines)) out.push((o.inlines as { text?: string }[]).map((i) => (typeof i === 'string' ? i : i.text ?? '')).join(''));
    if (o.type === 'FactSet' && Array.isArray(o.facts)) for (const f of o.facts as { title: string; value: string }[]) out.push(`${f.title}: ${f.value}`);
    for (const [k, v] of Object.entries(o)) if (k !== 'fallback') walk(v);
  };
  walk(card);
  return out.join('\n');
}

/** Titles of the Action.Execute buttons of a card (top level and in show-cards). */
export function buttonsOf(card: unknown): string[] {
  const out: string[] = [];
  const walk = (n: unknown) => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    const o = n as Record<string, unknown>;
    if ((o.type === 'Action.Execute' || o.type === 'Action.ShowCard') && typeof o.title === 'string') out.push(o.title);
    for (const [k, v] of Object.entries(o)) if (k !== 'fallback' && k !== 'refresh') walk(v);
  };
  walk(card);
  return out;
}

/** The data of the button with this title. */
export function buttonData(card: unknown, title: string): { verb: string; data: Record<string, unknown> } {
  let found: { verb: string; data: Record<string, unknown> } | null = null;
  const walk = (n: unknown) => {
    if (found || !n || typeof n !== 'object') return;
    if (Array.isArray(n)) return n.forEach(walk);
    const o = n as Record<string, unknown>;
    if (o.type === 'Action.Execute' && o.title === title) found = { verb: o.verb as string, data: o.data as Record<string, unknown> };
    for (const [k, v] of Object.entries(o)) if (k !== 'fallback' && k !== 'refresh') walk(v);
  };
  walk(card);
  if (!found) throw new Error(`no button '${title}' in card: ${buttonsOf(card).join(', ')}`);
  return found;
}

/**
 * The request service without Temporal, straight on the ledger (open, decide once,
 * with the decider's stored role checked by applyDecision). For tests about cards
 * and handlers; the end-to-end test runs the real workflow.
 */
export function ledgerRequests(db: Db, now: () => Date = () => new Date()): RequestService {
  return {
    async ask(orgId: string, memberRef: string, note: string | null = null) {
      const m = await requireActiveMember(db, orgId, memberRef);
      const open = await requireMayAsk(db, orgId, m, now(), DEFAULT_COOLDOWN_AFTER_DENIAL_MS);
      if (open) return { workflowId: requestWorkflowId(orgId, m.id), alreadyOpen: true, request: await requestView(db, open) };
      const workflowId = requestWorkflowId(orgId, m.id);
      const id = await openRequest(db, { orgId, memberId: m.id, workflowId, runId: randomUUID(), requestedAt: now(), note });
      return { workflowId, alreadyOpen: false, request: await requestView(db, id) };
    },
    async askRaise(orgId: string, memberRef: string, opts: { note?: string | null; amount?: string | null } = {}) {
      const m = await requireActiveMember(db, orgId, memberRef);
      const raise = await raiseOpening(db, orgId, m, now(), DEFAULT_COOLDOWN_AFTER_DENIAL_MS, opts.amount ?? null);
      const workflowId = requestWorkflowId(orgId, m.id);
      const id = await openRequest(db, { orgId, memberId: m.id, workflowId, runId: randomUUID(), requestedAt: now(), note: opts.note ?? null, raise });
      return { workflowId, alreadyOpen: false, request: await requestView(db, id) };
    },
    async decide(orgId: string, requestId: string, deciderRef: string, decision: Parameters<RequestService['decide']>[3]) {
      const view = await requestView(db, requestId);
      if (view.orgId !== orgId) throw notFound(`request '${requestId}'`, 'requestId');
      if (view.status !== 'pending') throw conflict(`this request is already ${view.status}`);
      return (view.raise ? applyRaise : applyDecision)(db, { requestId, deciderRef, ...decision }, now());
    },
    async cancel() {
      return false;
    },
    async untrackAnthropic() {
      return 0;
    },
  };
}

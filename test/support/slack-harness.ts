// The Slack app as tests drive it: the real Bolt app (HTTP receiver, signature
// verification on) started by startSlackApp, its WebClient pointed at the local
// Web API stand-in, and helpers that act like Slack users: run /usage, open the
// App Home, click a button in a message / the Home / a modal, submit a modal.
// Every request is signed like Slack signs it.
import { expect } from 'vitest';
import type { Db } from '../../src/db/client.js';
import type { Purchases } from '../../src/payments/purchases.js';
import type { RequestService } from '../../src/services/requests.js';
import { startSlackApp, type RunningSlackApp } from '../../bot/slack/app.js';
import { startSlackApi, type SlackApiStandIn, type SlackCall } from './slack-api.js';
import { enterpriseDoc } from './fixtures.js';
import { blockKitProblems } from './slack-block-kit-limits.js';
import { commandBody, FORM, interactionBody, JSON_TYPE, postSigned, type SignedPost, type SlackResponse } from './slack-http.js';

export const SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';
export const BOT_TOKEN = 'xoxb-test-bot-token';

/** Slack user ids of the enterprise fixture's members, as linked in slackDoc(). */
export const USERS = { owner: 'U_OWNER', admin: 'U_ADMIN', alice: 'U_ALICE', bob: 'U_BOB', carol: 'U_CAROL', stranger: 'U_STRANGER' } as const;

export interface SlackHarness {
  api: SlackApiStandIn;
  slack: RunningSlackApp;
  eventsUrl: string;
  post(body: string, contentType: string, opts?: SignedPost): Promise<SlackResponse>;
  command(user: string, command?: string, text?: string): Promise<{ res: SlackResponse; responseUrl: string }>;
  openHome(user: string): Promise<SlackResponse>;
  /** Clicks the element `actionId` (the first whose value matches) in a message sent through chat.postMessage/update. */
  clickInMessage(user: string, message: SlackCall, actionId: string, value?: (v: string | undefined) => boolean): Promise<SlackResponse>;
  /** Clicks in the last Home published for `user`. */
  clickInHome(user: string, actionId: string, value?: (v: string | undefined) => boolean, extra?: Record<string, unknown>, from?: SlackCall): Promise<SlackResponse>;
  /** Clicks a button (or picks in a select: `extra` carries e.g. selected_option) inside the modal opened by `opened` (a views.open call). */
  clickInModal(user: string, opened: SlackCall, actionId: string, extra?: Record<string, unknown>): Promise<SlackResponse>;
  /** Submits the modal opened by `opened` with input values by block id. */
  submit(user: string, opened: SlackCall, values: Record<string, string | string[] | null>): Promise<SlackResponse>;
  lastHome(user: string): SlackCall | undefined;
  /** Messages (chat.postMessage) sent to a user's DM. */
  dmsTo(user: string): SlackCall[];
  /** Fails the test if anything sent broke Block Kit limits. */
  expectWithinLimits(): void;
  close(): Promise<void>;
}

let triggers = 0;

function findElement(blocks: any[], actionId: string, value?: (v: string | undefined) => boolean): { block: any; element: any } {
  for (const block of blocks ?? []) {
    const elements = block.type === 'actions' ? block.elements : block.accessory ? [block.accessory] : [];
    for (const element of elements) {
      if (element.action_id === actionId && (!value || value(element.value))) return { block, element };
    }
  }
  throw new Error(`no element '${actionId}' in ${JSON.stringify(blocks).slice(0, 400)}`);
}

function actionPayload(block: any, element: any, extra: Record<string, unknown> = {}) {
  return {
    type: element.type,
    action_id: element.action_id,
    block_id: block.block_id ?? 'b',
    ...(element.value !== undefined ? { value: element.value } : {}),
    ...(element.text ? { text: element.text } : {}),
    action_ts: `${Date.now() / 1000}`,
    ...extra,
  };
}

export async function startSlackHarness(db: Db, requests: RequestService, opts: { orgSlug?: string; now?: () => Date; purchases?: Purchases; command?: string; publicUrl?: string; cooldownMinutes?: number } = {}): Promise<SlackHarness> {
  const api = await startSlackApi();
  const slack = await startSlackApp({
    config: {
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_ORG_SLUG: opts.orgSlug ?? 'acme',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_PORT: 0,
      SLACK_API_URL: api.apiUrl,
      ...(opts.command ? { SLACK_COMMAND: opts.command } : {}),
      ...(opts.publicUrl ? { PUBLIC_URL: opts.publicUrl } : {}),
      ...(opts.cooldownMinutes !== undefined ? { REQUEST_COOLDOWN_AFTER_DENIAL_MINUTES: opts.cooldownMinutes } : {}),
      HOST: '127.0.0.1',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
    } as never,
    db,
    requests,
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.purchases ? { purchases: opts.purchases } : {}),
    log: process.env.TEST_LOG_LEVEL ? console.log : () => {},
    clientOptions: { retryConfig: { retries: 0 } },
  });
  if (!slack) throw new Error('slack app not configured');
  const eventsUrl = `${slack.url}/slack/events`;
  const team = { id: api.team.id, domain: 'acme' };
  const user = (id: string) => ({ id, username: id.toLowerCase(), name: id.toLowerCase(), team_id: team.id });
  // What the app answers in the HTTP response (a modal update in an ack) is checked like what it sends.
  const post = async (body: string, contentType: string, o?: SignedPost) => {
    const res = await postSigned(eventsUrl, SIGNING_SECRET, body, contentType, o);
    if (res.json?.view) api.problems.push(...blockKitProblems('modal', res.json.view).map((p) => `ack: ${p}`));
    if (res.json?.blocks) api.problems.push(...blockKitProblems('message', res.json).map((p) => `ack: ${p}`));
    return res;
  };
  const lastHome = (u: string) => api.of('views.publish').filter((c) => c.args.user_id === u && c.response.ok).at(-1);
  const openedView = (opened: SlackCall) => ({ ...opened.args.view, ...opened.response.view });

  const h: SlackHarness = {
    api,
    slack,
    eventsUrl,
    post,
    async command(u, command = '/usage', text = '') {
      const responseUrl = api.responseUrl();
      const res = await post(commandBody({
        token: 'legacy', team_id: team.id, team_domain: team.domain, channel_id: `C_GENERAL`, channel_name: 'general',
        user_id: u, user_name: u.toLowerCase(), command, text, api_app_id: 'A_APP', response_url: responseUrl, trigger_id: `trigger-${++triggers}`,
      }), FORM);
      return { res, responseUrl };
    },
    openHome(u) {
      return post(JSON.stringify({
        token: 'legacy', team_id: team.id, api_app_id: 'A_APP', type: 'event_callback', event_id: `Ev${++triggers}`, event_time: Math.floor(Date.now() / 1000),
        event: { type: 'app_home_opened', user: u, channel: `D_${u}`, tab: 'home', event_ts: `${Date.now() / 1000}` },
        authorizations: [{ team_id: team.id, user_id: api.bot.userId, is_bot: true }],
      }), JSON_TYPE);
    },
    clickInMessage(u, message, actionId, value) {
      const m = message.method === 'chat.postMessage' ? message : message;
      const channel = m.response.channel ?? m.args.channel;
      const ts = m.response.ts ?? m.args.ts;
      const blocks = m.args.blocks;
      const { block, element } = findElement(blocks, actionId, value);
      return post(interactionBody({
        type: 'block_actions', team, user: user(u), api_app_id: 'A_APP', token: 'legacy', trigger_id: `trigger-${++triggers}`,
        container: { type: 'message', message_ts: ts, channel_id: channel, is_ephemeral: false },
        channel: { id: channel, name: 'directmessage' },
        message: { type: 'message', ts, text: m.args.text, blocks, bot_id: api.bot.botId },
        response_url: api.responseUrl(),
        actions: [actionPayload(block, element)],
      }), FORM);
    },
    clickInHome(u, actionId, value, extra, from) {
      const home = from ?? lastHome(u);
      if (!home) throw new Error(`no Home published for ${u}`);
      const view = { ...home.args.view, ...home.response.view };
      const { block, element } = findElement(view.blocks, actionId, value);
      return post(interactionBody({
        type: 'block_actions', team, user: user(u), api_app_id: 'A_APP', token: 'legacy', trigger_id: `trigger-${++triggers}`,
        container: { type: 'view', view_id: view.id },
        view: { ...view, state: { values: {} } },
        actions: [actionPayload(block, element, extra)],
      }), FORM);
    },
    clickInModal(u, opened, actionId, extra) {
      const view = openedView(opened);
      const { block, element } = findElement(view.blocks, actionId);
      return post(interactionBody({
        type: 'block_actions', team, user: user(u), api_app_id: 'A_APP', token: 'legacy', trigger_id: `trigger-${++triggers}`,
        container: { type: 'view', view_id: view.id },
        view: { ...view, state: { values: {} } },
        actions: [actionPayload(block, element, extra)],
      }), FORM);
    },
    submit(u, opened, values) {
      const view = openedView(opened);
      const state: Record<string, Record<string, unknown>> = {};
      for (const block of view.blocks) {
        if (block.type !== 'input') continue;
        const v = values[block.block_id] ?? null;
        const e = block.element;
        state[block.block_id] = {
          [e.action_id]: e.type === 'checkboxes'
            ? { type: 'checkboxes', selected_options: (Array.isArray(v) ? v : []).map((x) => e.options.find((o: any) => o.value === x)) }
            : e.type === 'static_select'
              ? { type: 'static_select', selected_option: e.options.find((o: any) => o.value === v) ?? null }
              : { type: e.type, value: v },
        };
      }
      return post(interactionBody({
        type: 'view_submission', team, user: user(u), api_app_id: 'A_APP', token: 'legacy', trigger_id: `trigger-${++triggers}`,
        view: { ...view, state: { values: state } },
      }), FORM);
    },
    lastHome,
    dmsTo: (u) => api.of('chat.postMessage').filter((c) => c.response.channel === `D_${u}`),
    expectWithinLimits() {
      expect(api.problems).toEqual([]);
      for (const c of api.calls) {
        if (c.method === 'response_url') expect(blockKitProblems('message', c.args)).toEqual([]);
      }
    },
    async close() {
      await slack.stop();
      await api.close();
    },
  };
  return h;
}

/** Block ids and action ids in a list of blocks, for asserting on what someone sees. */
export function actionIdsOf(blocks: any[]): string[] {
  return (blocks ?? []).flatMap((b: any) => (b.type === 'actions' ? b.elements : b.accessory ? [b.accessory] : []).map((e: any) => e.action_id as string));
}

export function textOf(blocks: any[]): string {
  return JSON.stringify(blocks ?? []);
}

/** The enterprise fixture with every member linked to a Slack user. */
export function slackEnterpriseDoc(over: Parameters<typeof enterpriseDoc>[0] = {}) {
  const doc = enterpriseDoc(over);
  const ids: Record<string, string> = { 'owner-1': USERS.owner, 'admin-1': USERS.admin, alice: USERS.alice, bob: USERS.bob, carol: USERS.carol };
  const members = over.members ?? [...doc.members, { externalId: 'carol', name: 'Carol', role: 'member' as const, seatTier: 'standard' as const }];
  return { ...doc, members: members.map((m) => ({ ...m, slackUserId: ids[m.externalId] ?? null })) };
}

/** A request service for tests that never reach a workflow; it fails loudly if one is asked for. */
export function noRequests(): RequestService {
  const no = async () => {
    throw new Error('this test does not run Temporal: no request service');
  };
  return { ask: no, decide: no, cancel: no } as unknown as RequestService;
}

// Notices (owners choose, admins read): whether owners are told when a member reaches
// their cap, and at which percentages of the org cap and of a seat tier's cap they are
// told; the same choices as GET/PUT /v1/settings/notices, changed through the same
// ledger function (setNoticeSettings: owners only, audited as notices.set). Below them,
// the org's notice channels that are failing now (src/ledger/notices/channel-health.ts), so an
// owner sees why notices do not arrive.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { isAdmin, isOwner } from '../../ledger/actors.js';
import { channelHealthOf, FAILING_AFTER_ATTEMPTS, FAILING_AFTER_MS } from '../../ledger/notices/channel-health.js';
import { loadOrg } from '../../ledger/limits-state.js';
import { noticeSettingsOf, setNoticeSettings, type NoticeSettings } from '../../ledger/settings/notice-settings.js';
import { whenText } from '../../notify/email-format.js';
import type { ConsoleDeps } from '../deps.js';
import { csrfField, ErrorSlots, fieldId, parseForm, type FieldErrors } from '../forms.js';
import { runForm, signedIn, withSaved, type PageContext } from '../guard.js';
import { html, type Html } from '../html.js';
import { layout, roleName, sendPage } from '../layout.js';

const SAVED: Record<string, string> = {
  'member-cap': 'Saved: when owners are told that a member reached their cap.',
  'org-cap': 'Saved: the org cap percentages owners are told of.',
  'tier-cap': 'Saved: the seat tier spending cap percentages owners are told of.',
};

const CHANNEL_NAMES: Record<string, string> = { email: 'Email', slack: 'Slack', teams: 'Microsoft Teams', log: 'Service log' };

/** "50, 80, 100" → [50, 80, 100]; empty → [] (that notice off). A message for the first thing wrong. */
export function parsePercents(input: string): { ok: true; value: number[] } | { ok: false; message: string } {
  const tokens = input.split(/[\s,;]+/).filter(Boolean);
  const seen = new Set<number>();
  for (const raw of tokens) {
    const token = raw.endsWith('%') ? raw.slice(0, -1) : raw;
    if (!/^\d{1,6}$/.test(token)) {
      return { ok: false, message: `"${raw.slice(0, 20)}" is not a whole number. Enter percentages from 1 to 100 separated by commas, such as 50, 80, 100 (leave empty for none).` };
    }
    const n = Number(token);
    if (n < 1 || n > 100) return { ok: false, message: `${n} is not between 1 and 100. Enter percentages from 1 to 100 separated by commas, such as 50, 80, 100.` };
    if (seen.has(n)) return { ok: false, message: `${n} is listed twice: list each percentage once.` };
    seen.add(n);
  }
  return { ok: true, value: [...seen].sort((a, b) => a - b) };
}

const percentsForm = z.object({ percents: z.string({ error: 'Enter percentages from 1 to 100 separated by commas, or leave it empty for none.' }).max(1000, 'That is too long: at most 100 percentages from 1 to 100.') })
  .superRefine((v, ctx) => {
    const r = parsePercents(v.percents);
    if (!r.ok) ctx.addIssue({ code: 'custom', path: ['percents'], message: r.message });
  })
  .transform((v) => (parsePercents(v.percents) as { ok: true; value: number[] }).value);

const memberCapForm = z.object({ enabled: z.enum(['on', 'off'], { error: 'choose On or Off' }) });

const percentsText = (p: number[]) => (p.length ? p.map((n) => `${n}%`).join(', ') : 'none (off)');

interface RenderState {
  errors?: FieldErrors;
  saved?: string;
  /** What was typed in a refused field, shown again to correct. */
  typed?: Record<string, string>;
}

async function renderNotices(deps: ConsoleDeps, ctx: PageContext, state: RenderState = {}): Promise<Html> {
  const org = await loadOrg(deps.db, ctx.viewer.org.id);
  const settings: NoticeSettings = noticeSettingsOf(org);
  const health = await channelHealthOf(deps.db, org.id);
  const canEdit = isOwner(ctx.viewer.member);
  const errors = new ErrorSlots(state.errors);
  const saved = state.saved && SAVED[state.saved] ? html`<p class="notice" role="status">${SAVED[state.saved]}</p>` : '';
  const readOnly = canEdit ? '' : html`<p class="muted" data-testid="read-only">You are ${roleName(ctx.viewer.member.role).toLowerCase()}: you can see these choices; only owners change them.</p>`;

  const memberSection = html`<section class="card" aria-labelledby="h-member"><h2 id="h-member">A member reaches their limit</h2>
<p>Owners are told when a member's extra usage reaches their limit (or their limit on a product): <strong data-testid="member-cap-reached">${settings.memberCapReached ? 'on' : 'off'}</strong>. The member is told in any case.</p>
${canEdit ? html`<form method="post" action="/notices/member-cap">${csrfField(ctx.csrf)}
<fieldset><legend>Tell owners when a member reaches their limit</legend>
<label><input type="radio" name="enabled" value="on"${settings.memberCapReached ? html` checked` : ''}> On</label>
<label><input type="radio" name="enabled" value="off"${settings.memberCapReached ? '' : html` checked`}> Off</label>
<button type="submit">Save</button></fieldset>${errors.text('memberCap.enabled')}</form>` : ''}
</section>`;

  const percentsSection = (key: 'orgCap' | 'tierCap', action: string, heading: string, what: string, current: number[], note: Html | '') => {
    const field = `${key}.percents`;
    const value = state.typed?.[field] ?? current.join(', ');
    return html`<section class="card" aria-labelledby="h-${key}"><h2 id="h-${key}">${heading}</h2>
<p>Owners are told when extra usage crosses these percentages of ${what}: <strong data-testid="${key}-thresholds">${percentsText(current)}</strong>. Once per percentage, month and cap amount; a record crossing several at once gives one notice for each.</p>${note}
${canEdit ? html`<form method="post" action="${action}">${csrfField(ctx.csrf)}
<label for="${fieldId(field)}">Percentages of ${what} (whole numbers from 1 to 100, separated by commas; empty for none)</label>
<input id="${fieldId(field)}" name="percents" size="30" value="${value}"${errors.attrs(field)}>
<button type="submit">Save</button>${errors.text(field)}</form>` : ''}
</section>`;
  };

  const tierNote = org.plan === 'enterprise' ? '' : html`<p class="muted">Spending caps per seat tier are an Enterprise setting: on the ${org.plan === 'team' ? 'Team' : org.plan} plan this choice has no notice to send.</p>`;

  const healthSection = html`<section class="card" aria-labelledby="h-health"><h2 id="h-health">Notice channels</h2>
<p class="muted">A channel is reported failing after ${FAILING_AFTER_ATTEMPTS} failed attempts in a row, or when it has failed for over ${FAILING_AFTER_MS / 60_000} minutes: operators are told, and it is in the audit log. Notices wait for it and are retried.</p>
${health.length === 0
    ? html`<p data-testid="channels-ok">No notice channel is failing: every channel delivered its last notice.</p>`
    : html`<table tabindex="0" data-testid="channel-health"><thead><tr><th scope="col">Channel</th><th scope="col">Failing since</th><th scope="col" class="num">Failed attempts in a row</th><th scope="col">Last failed</th><th scope="col">Last error</th><th scope="col">Reported</th></tr></thead><tbody>
${health.map((c) => html`<tr data-channel="${c.channel}"><th scope="row">${CHANNEL_NAMES[c.channel] ?? c.channel}</th><td data-col="since">${whenText(c.since, org.timezone)}</td><td class="num" data-col="failures">${c.failures}</td><td data-col="last-failed">${whenText(c.lastFailedAt, org.timezone)}</td><td data-col="last-error"><code>${c.lastError}</code></td><td data-col="reported">${c.reported ? 'Yes: failing' : 'Not yet'}</td></tr>`)}
</tbody></table>`}
</section>`;

  // Rendered before the error summary above them, which links to each field in error.
  const orgCapSection = percentsSection('orgCap', '/notices/org-cap', 'Spending cap alerts', "the organisation's spending cap", settings.orgCapThresholds, '');
  const tierCapSection = percentsSection('tierCap', '/notices/tier-cap', 'Seat tier spending cap alerts', "a seat tier's spending cap", settings.tierCapThresholds, tierNote);
  return layout({
    title: 'Notices',
    viewer: ctx.viewer,
    csrf: ctx.csrf,
    current: '/notices',
    body: html`<h1>Notices</h1><p class="muted">${org.name} · which notices owners get, and whether they get through (${org.timezone})</p>
${saved}${errors.leftover()}${readOnly}${memberSection}${orgCapSection}${tierCapSection}${healthSection}`,
  });
}

export function noticesPage(app: FastifyInstance, deps: ConsoleDeps) {
  app.get('/notices', async (request, reply) => {
    const ctx = await signedIn(deps, request, reply);
    if (!ctx) return reply;
    if (!isAdmin(ctx.viewer.member)) return reply.redirect('/me', 303);
    const q = z.object({ saved: z.string().max(20).optional().catch(undefined) }).parse(request.query ?? {});
    return sendPage(reply, await renderNotices(deps, ctx, { saved: q.saved }));
  });

  /** One choice's form: parse, change through the ledger (which checks the role, as for the API), come back. */
  const form = <T>(url: string, key: string, field: string, schema: z.ZodType<T>, change: (v: T) => Partial<NoticeSettings>, saved: string) => {
    app.post(url, { preHandler: app.csrfProtection }, async (request, reply) => {
      const ctx = await signedIn(deps, request, reply);
      if (!ctx) return reply;
      const body = (request.body ?? {}) as Record<string, unknown>;
      const typed = typeof body[field] === 'string' ? { [`${key}.${field}`]: (body[field] as string).slice(0, 1000) } : undefined;
      return runForm(reply, ctx, {
        field: `${key}.${field}`,
        back: withSaved('/notices', saved),
        action: async () => setNoticeSettings(deps.db, ctx.viewer.org, ctx.viewer.member, change(parseForm(schema, body, `${key}.`))),
        rerender: (errors) => renderNotices(deps, ctx, { errors, ...(typed ? { typed } : {}) }),
      });
    });
  };

  form('/notices/member-cap', 'memberCap', 'enabled', memberCapForm, (v) => ({ memberCapReached: v.enabled === 'on' }), 'member-cap');
  form('/notices/org-cap', 'orgCap', 'percents', percentsForm, (v) => ({ orgCapThresholds: v }), 'org-cap');
  form('/notices/tier-cap', 'tierCap', 'percents', percentsForm, (v) => ({ tierCapThresholds: v }), 'tier-cap');
}

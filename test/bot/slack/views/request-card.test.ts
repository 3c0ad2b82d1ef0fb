// Request cards and the member's usage message within Block Kit limits, escaped, and
// updated in place on a digest page without touching the other requests.
import { describe, expect, it } from 'vitest';
import type { RequestView } from '../../../../src/notify/port.js';
import { replaceRequestBlocks, requestCardBlocks, requestRowBlocks } from '../../../../bot/slack/views/request-card.js';
import { digestPages } from '../../../../bot/slack/views/digest.js';
import { alertBlocks } from '../../../../bot/slack/views/alert.js';
import { markRequestSent } from '../../../../bot/slack/views/member-usage.js';
import { blockKitProblems } from '../../../support/slack-block-kit-limits.js';
import { actionIdsOf } from '../../../support/slack-harness.js';

const request = (i: number, over: Partial<RequestView> = {}): RequestView => ({
  requestId: `r-${i}`, workflowId: 'w', orgId: 'o', orgName: 'Acme & <Co>', seatTier: 'standard', requestedAt: '2026-11-15T10:00:00.000Z', note: '<!channel> *urgent*', status: 'pending',
  decision: null, decisionCap: null, reason: null, decidedBy: null, decidedAt: null, previousDenial: null,
  requester: { memberId: `m-${i}`, externalId: `e${i}`, name: `Alice <@U1> ${'x'.repeat(4000)}`, role: 'member', seatTier: 'standard', email: null, slackUserId: null, teamsUserId: null },
  ...over,
});

describe('request views', () => {
  it('escapes what people typed and cuts it to Block Kit limits', () => {
    const blocks = requestCardBlocks(request(1));
    expect(blockKitProblems('message', { text: 'x', blocks })).toEqual([]);
    const text = JSON.stringify(blocks);
    expect(text).toContain('&lt;!channel&gt;');
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('Acme &amp; &lt;Co&gt;');
  });

  it('shows the outcome and who decided once closed, without buttons', () => {
    const decider = { ...request(2).requester, name: 'Adam', slackUserId: 'U_ADMIN' };
    const blocks = requestCardBlocks(request(2, { status: 'approved', decision: 'enable_extra_usage', decisionCap: null, decidedBy: decider, decidedAt: '2026-11-15T11:00:00.000Z' }));
    expect(actionIdsOf(blocks)).toEqual([]);
    expect(JSON.stringify(blocks)).toContain('extra usage on, monthly limit Unlimited by <@U_ADMIN>');
    const denied = requestCardBlocks(request(3, { status: 'denied', decision: 'deny', reason: 'r'.repeat(3000), decidedBy: decider }));
    expect(blockKitProblems('message', { text: 'x', blocks: denied })).toEqual([]);
  });

  it('updates one request on a digest page in place and leaves the others', () => {
    const requests = [request(1), request(2), request(3)];
    const [page] = digestPages({ orgId: 'o', orgName: 'Acme', at: '2026-11-16T08:00:00.000Z', requests });
    const decided = { ...requests[1]!, status: 'denied' as const, decision: 'deny' as const };
    const updated = replaceRequestBlocks(page!.blocks, decided, requestRowBlocks);
    expect(blockKitProblems('message', { text: 'x', blocks: updated })).toEqual([]);
    expect(updated.filter((b: any) => b.block_id?.startsWith('req:r-2:'))).toHaveLength(1);
    expect(actionIdsOf(updated).filter((a) => a === 'decide_deny')).toHaveLength(2);
    expect(JSON.stringify(updated)).toContain('Denied');
  });

  it('shows an admin their own request in a digest page without decision buttons, the others with them', () => {
    const requests = [request(1), request(2)];
    const [page] = digestPages({ orgId: 'o', orgName: 'Acme', at: '2026-11-16T08:00:00.000Z', requests }, { memberId: 'm-1' });
    expect(blockKitProblems('message', { text: 'x', blocks: page!.blocks })).toEqual([]);
    const of = (id: string) => page!.blocks.filter((b: any) => b.block_id?.startsWith(`req:${id}:`));
    expect(actionIdsOf(of('r-1'))).toEqual([]);
    expect(JSON.stringify(of('r-1'))).toContain('Your request: another admin or an owner decides it.');
    expect(actionIdsOf(of('r-2'))).toEqual(['decide_upgrade_seat', 'decide_enable_extra_usage', 'decide_deny']);
    expect(actionIdsOf(requestCardBlocks(request(1), { viewer: { memberId: 'm-1' } }))).toEqual([]);
  });

  it('turns the request button of a seat-limit DM into "Request sent to admin"', () => {
    const blocks = alertBlocks({ kind: 'seat_limit_reached', orgId: 'o', orgName: 'Acme', title: 't'.repeat(500), text: 'x', facts: {}, canRequestExtraUsage: true });
    expect(blockKitProblems('message', { text: 'x', blocks })).toEqual([]);
    expect(actionIdsOf(blocks)).toEqual(['request_extra_usage']);
    const sent = markRequestSent(blocks);
    expect(actionIdsOf(sent)).toEqual([]);
    expect(JSON.stringify(sent)).toContain('Request sent to admin');
  });
});

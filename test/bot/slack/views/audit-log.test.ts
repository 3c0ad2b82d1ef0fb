// The owners' Audit log tab stays within Block Kit limits with the longest entries
// the log can hold, escapes what people named, and offers Newer / Older only where
// there is a page to go to.
import { describe, expect, it } from 'vitest';
import type { AuditPage } from '../../../../bot/audit-log/page.js';
import { homeView } from '../../../../bot/slack/views/home.js';
import { blockKitProblems } from '../../../support/slack-block-kit-limits.js';
import { actionIdsOf } from '../../../support/slack-harness.js';

const worst = (i: number) => ({ id: String(10n ** 17n + BigInt(i)), when: '15 Sept 2026, 13:05', who: `<&>${'W'.repeat(117)}`, what: `<&>*${'A'.repeat(146)}`, change: `<>&${'&'.repeat(297)}` });
const page = (over: Partial<AuditPage> = {}): AuditPage => ({ lines: Array.from({ length: 10 }, (_, i) => worst(i)), older: { before: '100' }, newer: { before: null }, ...over });
const view = (p: AuditPage) => homeView({ orgName: 'Acme', tabs: ['me', 'requests', 'settings', 'audit'], tab: 'audit', page: 0, requests: [], audit: { page: p, timezone: 'America/Argentina/ComodRivadavia' } });

describe('Audit log tab', () => {
  it('shows ten of the longest entries within Block Kit limits, escaped', () => {
    const v = view(page());
    expect(blockKitProblems('home', v)).toEqual([]);
    const text = JSON.stringify(v.blocks);
    expect(text).toContain('&lt;&amp;&gt;');
    expect(text).not.toContain('<&>');
    expect(text).toContain('Times in America/Argentina/ComodRivadavia');
  });

  it('pages with Newer and Older only where there is a page, and says where the log begins', () => {
    const nav = (p: AuditPage) => actionIdsOf(view(p).blocks as any[]).filter((a) => a.startsWith('audit_'));
    expect(nav(page())).toEqual(['audit_newer', 'audit_older']);
    expect(nav(page({ newer: null }))).toEqual(['audit_older']);
    const first = view(page({ older: null }));
    expect(actionIdsOf(first.blocks as any[]).filter((a) => a.startsWith('audit_'))).toEqual(['audit_newer']);
    expect(JSON.stringify(first.blocks)).toContain('This is where the log begins.');
    const empty = view({ lines: [], older: null, newer: null });
    expect(JSON.stringify(empty.blocks)).toContain('Nothing has been recorded yet.');
    expect(blockKitProblems('home', empty)).toEqual([]);
  });
});

// The console's pure helpers: escaping, where `next` may send a browser, and the
// seat-limits table's paging, sorting and filtering at 5,000 members.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import { ConfigError } from '../../src/config.js';
import { consoleOptionsFromConfig } from '../../src/console/options.js';
import { migrated, scratchPglite } from '../support/databases.js';
import { OPERATOR_TOKEN } from '../support/fixtures.js';
import { html, raw } from '../../src/console/html.js';
import { safeNext } from '../../src/console/session.js';

describe('html', () => {
  it('escapes every interpolated value and keeps nested html', () => {
    const name = '<script>alert("x")</script> & \'co\'';
    expect(html`<p title="${name}">${name}${html`<b>${1}</b>`}${[raw('<i>'), 'a<b']}${null}${false}</p>`.value)
      .toBe('<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;<b>1</b><i>a&lt;b</p>');
  });
});

describe('safeNext', () => {
  it('keeps paths of this site and refuses anything that leaves it', () => {
    expect(safeNext('/requests/abc?x=1')).toBe('/requests/abc?x=1');
    for (const bad of ['//evil.example', '/\\evil.example', 'https://evil.example/', 'javascript:alert(1)', '/a b', '', undefined, 42, `/${'a'.repeat(600)}`]) {
      expect(safeNext(bad, '/fallback')).toBe('/fallback');
    }
  });
});

describe('privacy and terms from configuration', () => {
  it('serves the operator\'s text (TERMS_TEXT, PRIVACY_FILE) as escaped paragraphs, and refuses an unreadable file at start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'console-legal-'));
    writeFileSync(join(dir, 'privacy.txt'), 'We keep <usage> records.\n\nAsk dpo@acme.test.');
    const options = consoleOptionsFromConfig({ PRIVACY_FILE: join(dir, 'privacy.txt'), TERMS_TEXT: 'Acme terms.', PUBLIC_URL: undefined, PRIVACY_TEXT: undefined, TERMS_FILE: undefined });
    const scratch = await scratchPglite();
    const app = buildServer({ db: scratch.db.prisma, operatorToken: OPERATOR_TOKEN, now: () => new Date(), console: options });
    try {
      const privacy = await app.inject({ method: 'GET', url: '/privacy' });
      expect(privacy.statusCode).toBe(200);
      expect(privacy.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(privacy.body).toContain('<p>We keep &lt;usage&gt; records.</p><p>Ask dpo@acme.test.</p>');
      expect(privacy.headers['content-security-policy']).toContain("default-src 'none'");
      expect((await app.inject({ method: 'GET', url: '/terms' })).body).toContain('<p>Acme terms.</p>');
    } finally {
      await app.close();
      await scratch.dispose();
    }
    expect(() => consoleOptionsFromConfig({ PRIVACY_FILE: join(dir, 'missing.txt'), TERMS_TEXT: undefined, PUBLIC_URL: undefined, PRIVACY_TEXT: undefined, TERMS_FILE: undefined })).toThrow(ConfigError);
    expect(() => consoleOptionsFromConfig({ PRIVACY_FILE: join(dir, 'missing.txt'), TERMS_TEXT: undefined, PUBLIC_URL: undefined, PRIVACY_TEXT: undefined, TERMS_FILE: undefined })).toThrow(/PRIVACY_FILE/);
  });
});

describe('the sign-in page', () => {
  it('names the Slack command people type for a link (SLACK_COMMAND, else /usage), and Slack only when it is set up', async () => {
    const scratch = await migrated(scratchPglite);
    const none = { PUBLIC_URL: undefined, PRIVACY_TEXT: undefined, PRIVACY_FILE: undefined, TERMS_TEXT: undefined, TERMS_FILE: undefined };
    const renamed = buildServer({ db: scratch.db.prisma, operatorToken: OPERATOR_TOKEN, now: () => new Date(), console: consoleOptionsFromConfig({ ...none, SLACK_BOT_TOKEN: 'xoxb-test', SLACK_COMMAND: '/extra-usage' }) });
    const plain = buildServer({ db: scratch.db.prisma, operatorToken: OPERATOR_TOKEN, now: () => new Date(), console: consoleOptionsFromConfig({ ...none, SLACK_BOT_TOKEN: 'xoxb-test' }) });
    const noSlack = buildServer({ db: scratch.db.prisma, operatorToken: OPERATOR_TOKEN, now: () => new Date(), console: consoleOptionsFromConfig(none) });
    try {
      const page = (await renamed.inject({ method: 'GET', url: '/signin' })).body;
      expect(page).toContain('<code>/extra-usage signin</code>');
      expect(page).not.toContain('/usage signin');
      expect((await plain.inject({ method: 'GET', url: '/signin' })).body).toContain('<code>/usage signin</code>');
      expect((await noSlack.inject({ method: 'GET', url: '/signin' })).body).not.toContain('Slack');
    } finally {
      await renamed.close();
      await noSlack.close();
      await plain.close();
      await scratch.dispose();
    }
  });
});

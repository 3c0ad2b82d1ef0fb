// The console's pure helpers: escaping, where `next` may send a browser, and the
// seat-limits table's paging, sorting and filtering at 5,000 members.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import { ConfigError } from '../../src/config.js';
import { consoleOptionsFromConfig } from '../../src/console/options.js';
import { scratchPglite } from '../support/databases.js';
import { OPERATOR_TOKEN } from '../support/fixtures.js';
import { html, raw } from '../../src/console/html.js';
import { membersPage } from '../../src/console/members-table.js';
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

describe('membersPage', () => {
  // 5,000 members with spend in nano-dollars, some tied, names not in spend order.
  const all = Array.from({ length: 5_000 }, (_, i) => ({
    id: `id-${String(i).padStart(5, '0')}`,
    externalId: `ext-${i}`,
    name: `Person ${String((i * 7919) % 5_000).padStart(4, '0')}`,
    monthToDateExtra: `${(i * 37) % 1_000}.${String(i % 100).padStart(2, '0')}0000001`,
  }));

  it('pages 5,000 members 50 at a time, every member exactly once, highest spend first', () => {
    const seen = new Set<string>();
    let previous: bigint | null = null;
    const first = membersPage(all, { sort: 'spend_desc', page: 1 });
    expect(first.pages).toBe(100);
    for (let p = 1; p <= first.pages; p++) {
      const page = membersPage(all, { sort: 'spend_desc', page: p });
      expect(page.rows.length).toBe(50);
      for (const r of page.rows) {
        const [whole, frac] = r.monthToDateExtra.split('.');
        const nanos = BigInt(whole!) * 1_000_000_000n + BigInt(frac!.padEnd(9, '0'));
        if (previous !== null) expect(nanos <= previous).toBe(true);
        previous = nanos;
        seen.add(r.id);
      }
    }
    expect(seen.size).toBe(5_000);
  });

  it('filters by name or external id, ignoring case, and clamps the page', () => {
    const page = membersPage(all, { q: 'PERSON 000', sort: 'name', page: 99 });
    expect(page.total).toBe(10);
    expect(page.page).toBe(1);
    expect(page.rows.map((r) => r.name)).toEqual([...page.rows.map((r) => r.name)].sort());
    expect(membersPage(all, { q: 'ext-4999', sort: 'spend_asc', page: 1 }).rows.map((r) => r.id)).toEqual(['id-04999']);
    expect(membersPage([], { sort: 'spend_asc', page: 3 })).toEqual({ rows: [], total: 0, page: 1, pages: 1 });
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

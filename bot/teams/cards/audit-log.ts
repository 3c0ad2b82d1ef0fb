// The owner's audit log card, opened from the settings card: the latest entries,
// newest first, ten a card, with "Newer" / "Older" carrying the ledger's cursor.
// Read-only. Names and values are TextRuns, so nothing in them is read as markdown.
import type { AuditPage } from '../../audit-log/page.js';
import { VERB } from '../actions.js';
import { card, container, execute, heading, plainText, text, type AdaptiveCard, type CardAction, type CardElement } from './card.js';

export function auditLogCard(page: AuditPage, o: { orgName: string; timezone: string }): AdaptiveCard {
  const body: CardElement[] = [...heading('Audit log', `${o.orgName} · newest first · times in ${o.timezone}`)];
  if (page.lines.length === 0) body.push(text('Nothing has been recorded yet.', { isSubtle: true }));
  for (const l of page.lines) {
    body.push(container([
      plainText([{ text: l.what, weight: 'Bolder' }, ...(l.change ? [` · ${l.change}`] : [])]),
      plainText([{ text: `${l.when} · ${l.who}`, isSubtle: true, size: 'Small' }], { spacing: 'None' }),
    ], { separator: true, spacing: 'Small', id: `audit:${l.id}` }));
  }
  if (!page.older && page.lines.length > 0) body.push(text('This is where the log begins.', { isSubtle: true, size: 'Small', id: 'audit-start' }));
  const cursor = (before: string | null) => (before === null ? {} : { before });
  const actions: CardAction[] = [
    ...(page.newer ? [execute('Newer', VERB.auditShow, cursor(page.newer.before), { id: 'audit-newer', associatedInputs: 'none' })] : []),
    ...(page.older ? [execute('Older', VERB.auditShow, cursor(page.older.before), { id: 'audit-older', associatedInputs: 'none' })] : []),
    execute('Usage settings', VERB.settingsShow, { page: 0 }, { id: 'audit-settings', associatedInputs: 'none' }),
  ];
  return card(body, { actions });
}

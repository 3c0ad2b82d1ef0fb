// The owner's "Audit log" tab: the latest entries, newest first, ten a page, with
// "Newer" / "Older" buttons carrying the ledger's cursor. Everything people typed
// or named (names, reasons, ids) is escaped; each entry is one section.
import type { AuditPage } from '../../audit-log/page.js';
import { actions, button, context, esc, header, section, type Block } from './blocks.js';
import { ACTION } from './ids.js';

export function auditLogBlocks(page: AuditPage, timezone: string): Block[] {
  const blocks: Block[] = [header('Audit log'), context([`Every settings change and decision, newest first. Times in ${esc(timezone)}.`], 'audit_intro')];
  if (page.lines.length === 0) blocks.push(context(['Nothing has been recorded yet.'], 'audit_empty'));
  for (const l of page.lines) {
    const change = l.change ? ` · ${esc(l.change)}` : '';
    blocks.push(section(`*${esc(l.what)}*${change}\n${l.when} · ${esc(l.who)}`, { blockId: `audit_${l.id}` }));
  }
  if (!page.older && page.lines.length > 0) blocks.push(context(['This is where the log begins.'], 'audit_start'));
  const nav = [
    ...(page.newer ? [button('Newer', ACTION.auditNewer, JSON.stringify(page.newer))] : []),
    ...(page.older ? [button('Older', ACTION.auditOlder, JSON.stringify(page.older))] : []),
  ];
  if (nav.length) blocks.push(actions(nav, 'audit_nav'));
  return blocks;
}

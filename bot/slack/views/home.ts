// The App Home: tabs for "My usage" (everyone), "Requests" (admins and owners),
// "Usage settings" and "Audit log" (owners only). A tab a person's stored role does
// not allow is never rendered for them, whatever they click.
import type { AuditPage } from '../../audit-log/page.js';
import type { MemberUsageView } from '../../../src/ledger/metering/member-usage.js';
import type { RequestView } from '../../../src/notify/port.js';
import { auditLogBlocks } from './audit-log.js';
import { actions, button, context, divider, header, pages, type Block, type HomeView } from './blocks.js';
import { BLOCK, homePageAction, homeTabAction } from './ids.js';
import { memberUsageBlocks } from './member-usage.js';
import type { LimitLine } from '../../../src/domain/member-limits.js';
import { ownerSettingsBlocks, type ClaudeSeatLimits, type SeatLimits, type UsageOverview } from './owner-settings.js';
import { requestRowBlocks, type Viewer } from './request-card.js';

export type HomeTab = 'me' | 'requests' | 'settings' | 'audit';

export const HOME_REQUESTS_PAGE_SIZE = 12;

export interface HomeModel {
  orgName: string;
  tabs: HomeTab[];
  tab: HomeTab;
  page: number;
  /** Whose Home this is: their own request is listed without decision buttons. */
  viewer?: Viewer;
  notice?: string;
  usage?: { view: MemberUsageView; requestOpen: boolean; claude?: readonly LimitLine[] | null };
  requests?: RequestView[];
  /** `claude`: an org connected to Claude, whose seat limits are Claude's. */
  settings?: { overview: UsageOverview; seats: SeatLimits; alertChannelId: string | null; claude?: ClaudeSeatLimits | null };
  audit?: { page: AuditPage; timezone: string };
}

const TAB_LABEL: Record<HomeTab, string> = { me: 'My usage', requests: 'Requests', settings: 'Usage settings', audit: 'Audit log' };

export function homeView(m: HomeModel): HomeView {
  const blocks: Block[] = [];
  if (m.tabs.length > 1) {
    blocks.push(actions(m.tabs.map((t) => button(t === 'requests' && m.requests ? `${TAB_LABEL[t]} (${m.requests.length})` : TAB_LABEL[t], homeTabAction(t), JSON.stringify({ tab: t, page: 0 }), t === m.tab ? { style: 'primary' } : {})), 'home_tabs'));
  }
  if (m.notice) blocks.push(context([m.notice], BLOCK.notice));
  if (m.tab === 'settings' && m.settings) {
    blocks.push(...ownerSettingsBlocks(m.settings.overview, m.settings.seats, { alertChannelId: m.settings.alertChannelId, page: m.page, claude: m.settings.claude ?? null }));
  } else if (m.tab === 'audit' && m.audit) {
    blocks.push(...auditLogBlocks(m.audit.page, m.audit.timezone));
  } else if (m.tab === 'requests' && m.requests) {
    blocks.push(...requestsTabBlocks(m.requests, m.page, m.viewer));
  } else if (m.usage) {
    blocks.push(...memberUsageBlocks(m.usage.view, { orgName: m.orgName, requestOpen: m.usage.requestOpen, claude: m.usage.claude ?? null }));
  }
  return { type: 'home', blocks, private_metadata: JSON.stringify({ tab: m.tab, page: m.page }) };
}

function requestsTabBlocks(requests: RequestView[], page: number, viewer: Viewer | undefined): Block[] {
  const blocks: Block[] = [header('Requests waiting for a decision')];
  if (requests.length === 0) return [...blocks, context(['Nothing is waiting. New requests also arrive as direct messages.'], 'requests_empty')];
  const chunks = pages(requests, HOME_REQUESTS_PAGE_SIZE);
  const p = Math.min(Math.max(0, page), chunks.length - 1);
  chunks[p]!.forEach((r, i) => {
    if (i > 0) blocks.push(divider(`requests_div_${i}`));
    blocks.push(...requestRowBlocks(r, viewer));
  });
  if (chunks.length > 1) {
    const nav = [];
    if (p > 0) nav.push(button('Previous', homePageAction('prev'), JSON.stringify({ tab: 'requests', page: p - 1 })));
    if (p < chunks.length - 1) nav.push(button('Next', homePageAction('next'), JSON.stringify({ tab: 'requests', page: p + 1 })));
    blocks.push(context([`Requests ${p * HOME_REQUESTS_PAGE_SIZE + 1}–${p * HOME_REQUESTS_PAGE_SIZE + chunks[p]!.length} of ${requests.length}`], 'requests_count'), actions(nav, 'requests_nav'));
  }
  return blocks;
}

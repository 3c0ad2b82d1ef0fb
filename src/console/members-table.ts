// The "Individual seat limits" table's view of the seat-limits report: filtered by
// name, sorted by month-to-date spend (or name), one page at a time. Pure, so 5,000
// members page the same way in a test as in the browser.
import { parseUsd } from '../domain/money.js';

export const MEMBER_SORTS = ['spend_desc', 'spend_asc', 'name'] as const;
export type MemberSort = (typeof MEMBER_SORTS)[number];
export const MEMBERS_PER_PAGE = 50;

export interface SeatLimitRow {
  id: string;
  externalId: string;
  name: string;
  monthToDateExtra: string;
}

export interface MembersPage<R> {
  rows: R[];
  /** Members matching the filter. */
  total: number;
  page: number;
  pages: number;
}

const spendOf = (r: SeatLimitRow) => parseUsd(r.monthToDateExtra) ?? 0n;

export function membersPage<R extends SeatLimitRow>(all: readonly R[], opts: { q?: string; sort: MemberSort; page: number; perPage?: number }): MembersPage<R> {
  const perPage = opts.perPage ?? MEMBERS_PER_PAGE;
  const q = opts.q?.trim().toLowerCase();
  const matching = q ? all.filter((r) => r.name.toLowerCase().includes(q) || r.externalId.toLowerCase().includes(q)) : [...all];
  const byName = (a: R, b: R) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id);
  matching.sort((a, b) => {
    if (opts.sort === 'name') return byName(a, b);
    const d = spendOf(a) - spendOf(b);
    const bySpend = d === 0n ? 0 : d > 0n ? 1 : -1;
    return (opts.sort === 'spend_desc' ? -bySpend : bySpend) || byName(a, b);
  });
  const pages = Math.max(1, Math.ceil(matching.length / perPage));
  const page = Math.min(Math.max(1, opts.page), pages);
  return { rows: matching.slice((page - 1) * perPage, page * perPage), total: matching.length, page, pages };
}

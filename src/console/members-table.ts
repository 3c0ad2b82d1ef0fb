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

const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });

export function membersPage<R extends SeatLimitRow>(all: readonly R[], opts: { q?: string; sort: MemberSort; page: number; perPage?: number }): MembersPage<R> {
  const perPage = opts.perPage ?? MEMBERS_PER_PAGE;
  const q = opts.q?.trim().toLowerCase();
  const matching = q ? all.filter((r) => r.name.toLowerCase().includes(q) || r.externalId.toLowerCase().includes(q)) : all;
  // Each row's spend parsed once, not once per comparison.
  const keyed = matching.map((row) => ({ row, spend: parseUsd(row.monthToDateExtra) ?? 0n }));
  const byName = (a: R, b: R) => collator.compare(a.name, b.name) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const sign = opts.sort === 'spend_desc' ? -1 : 1;
  keyed.sort((a, b) => {
    if (opts.sort !== 'name' && a.spend !== b.spend) return (a.spend > b.spend ? 1 : -1) * sign;
    return byName(a.row, b.row);
  });
  const pages = Math.max(1, Math.ceil(keyed.length / perPage));
  const page = Math.min(Math.max(1, opts.page), pages);
  return { rows: keyed.slice((page - 1) * perPage, page * perPage).map((k) => k.row), total: keyed.length, page, pages };
}

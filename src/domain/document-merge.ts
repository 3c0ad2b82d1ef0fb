// Re-sending an org document is a three-way merge against the document applied last
// time (the `kubectl apply` model). The operator's document provisions structure;
// owners and admins' approvals change money settings in between. So a field is
// applied only where the new document says something new about it: a value that
// differs from what the last document said, or a field the last document did not
// have (everything, on a first apply). A field said exactly as last time, or left
// out (at any depth), is not the document's to change: it stays as it is now.
// Members are matched by externalId. Pure: no I/O.
import { parseUsd } from './money.js';

type Plain = Record<string, unknown>;

/** Every field optional at every depth; arrays stay whole. */
export type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

export interface MergeableDocument {
  members: readonly { externalId: string }[];
}

export interface MemberPatch<M> {
  /** The last document did not list this member (new, or coming back): every field it gives applies. */
  first: boolean;
  /** The member's fields to apply (externalId is the key, never in here). */
  set: Partial<Omit<M, 'externalId'>>;
}

export interface DocumentPatch<D extends MergeableDocument> {
  /** Every section but members, holding only the fields to apply (sections keep their shape). */
  org: DeepPartial<Omit<D, 'members'>>;
  /** Each member of the new document by externalId, in document order. */
  members: Map<string, MemberPatch<D['members'][number]>>;
}

const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

// USD amounts are compared by value: "1000" and "1000.00" say the same thing.
const AMOUNT_FIELDS = new Set(['includedAllowance', 'orgMonthlyCap', 'threshold', 'amount', 'extraUsageCap']);
const isAmount = (path: readonly string[]) => AMOUNT_FIELDS.has(path.at(-1)!) || path.at(-2) === 'tierCaps';

function sameLeaf(path: readonly string[], a: unknown, b: unknown): boolean {
  if (isAmount(path) && typeof a === 'string' && typeof b === 'string') {
    const x = parseUsd(a);
    return x !== null && x === parseUsd(b);
  }
  return sameJson(a, b);
}

/** The fields of `next` to apply, given what `last` said at the same place. */
function changedFields(last: unknown, next: Plain, path: readonly string[]): Plain {
  const prev = isPlain(last) ? last : undefined;
  const out: Plain = {};
  for (const [key, value] of Object.entries(next)) {
    if (value === undefined) continue; // left out: left as it is
    const at = [...path, key];
    const said = prev && Object.hasOwn(prev, key) ? prev[key] : undefined;
    if (isPlain(value)) {
      const inner = changedFields(said, value, at);
      if (Object.keys(inner).length > 0) out[key] = inner;
    } else if (said === undefined || !sameLeaf(at, said, value)) {
      out[key] = value;
    }
  }
  return out;
}

/**
 * What applying `next` changes, field by field. `last` is the document applied last
 * time as it was stored (anything unreadable counts as none: a first apply).
 */
export function documentPatch<D extends MergeableDocument>(last: unknown, next: D): DocumentPatch<D> {
  const prev = isPlain(last) ? last : undefined;
  const { members, ...rest } = next as D & Plain;
  const org = changedFields(prev, rest, []);
  const lastMembers = new Map<string, Plain>();
  for (const m of Array.isArray(prev?.members) ? prev.members : []) {
    if (isPlain(m) && typeof m.externalId === 'string') lastMembers.set(m.externalId, m);
  }
  const patch = new Map<string, MemberPatch<D['members'][number]>>();
  for (const m of members) {
    const said = lastMembers.get(m.externalId);
    const { externalId: _key, ...fields } = changedFields(said, m as Plain, ['members', m.externalId]);
    patch.set(m.externalId, { first: said === undefined, set: fields as MemberPatch<D['members'][number]>['set'] });
  }
  return { org: org as DeepPartial<Omit<D, 'members'>>, members: patch };
}

/** Equal as JSON: key order and undefined-valued keys do not matter. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  }
  if (!isPlain(a) || !isPlain(b)) return false;
  const keys = (o: Plain) => Object.keys(o).filter((k) => o[k] !== undefined).sort();
  const ka = keys(a);
  const kb = keys(b);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && sameJson(a[k], b[k]));
}

// Compares prisma/schema.prisma with a migrated database. Prisma's `migrate diff`
// needs a schema-engine binary we cannot download, so this reads the schema through
// the wasm parser (DMMF), reads the database through the catalogs, and lists every
// difference as a sentence. Both sides are reduced to the same plain "shape".
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Db } from '../../src/db/client.js';

// The wasm package is CommonJS; require it rather than rely on ESM named-export detection.
const { get_dmmf } = createRequire(import.meta.url)('@prisma/prisma-schema-wasm') as {
  get_dmmf(params: string): string;
};

export const SCHEMA_PATH = fileURLToPath(new URL('../../prisma/schema.prisma', import.meta.url));

export interface Column {
  type: string; // e.g. "bigint", "text[]", "timestamp(3)", "enum Plan"
  nullable: boolean;
  hasDefault: boolean;
}

export interface Shape {
  tables: Map<string, Map<string, Column>>;
  primaryKeys: Map<string, string>; // table -> "(a, b)"
  uniques: Set<string>; // "Member(orgId, externalId)"
  indexes: Set<string>; // non-unique, same format
  foreignKeys: Map<string, string>; // "UsageEvent(memberId) -> Member(id)" -> "ON DELETE RESTRICT ON UPDATE CASCADE"
  enums: Map<string, string>; // name -> "(a, b, c)" in declared order
}

const emptyShape = (): Shape => ({
  tables: new Map(),
  primaryKeys: new Map(),
  uniques: new Set(),
  indexes: new Set(),
  foreignKeys: new Map(),
  enums: new Map(),
});

const list = (names: string[]) => `(${names.join(', ')})`;
const indexKey = (table: string, columns: string[]) => `${table}${list(columns)}`;

// ---------------------------------------------------------------- schema side

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'enum' | 'object' | 'unsupported';
  type: string;
  isList: boolean;
  isRequired: boolean;
  isUpdatedAt: boolean;
  hasDefaultValue: boolean;
  default?: unknown;
  nativeType?: unknown;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
  relationOnUpdate?: string;
}
interface DmmfModel { name: string; dbName: string | null; fields: DmmfField[] }
interface DmmfEnum { name: string; dbName?: string | null; values: { name: string; dbName: string | null }[] }
interface DmmfIndex { model: string; type: 'id' | 'unique' | 'normal' | 'fulltext'; fields: { name: string }[] }
interface Dmmf { datamodel: { models: DmmfModel[]; enums: DmmfEnum[]; indexes: DmmfIndex[] } }

// What `prisma migrate` creates for each Prisma scalar on PostgreSQL.
const PG_TYPES: Record<string, string> = {
  String: 'text',
  Int: 'integer',
  BigInt: 'bigint',
  Boolean: 'boolean',
  DateTime: 'timestamp(3)',
  Json: 'jsonb',
  Float: 'double precision',
  Decimal: 'numeric(65,30)',
  Bytes: 'bytea',
};

// Prisma's referential-action names as PostgreSQL spells them.
const ACTIONS: Record<string, string> = {
  Cascade: 'CASCADE',
  Restrict: 'RESTRICT',
  NoAction: 'NO ACTION',
  SetNull: 'SET NULL',
  SetDefault: 'SET DEFAULT',
};

// Defaults the Prisma client fills in itself; the database column has none.
const CLIENT_DEFAULTS = new Set(['uuid', 'cuid', 'nanoid', 'ulid']);

export function schemaShape(schemaText = readFileSync(SCHEMA_PATH, 'utf8')): Shape {
  const { datamodel } = JSON.parse(get_dmmf(JSON.stringify({ prismaSchema: schemaText }))) as Dmmf;
  const shape = emptyShape();
  const enumDbName = new Map(datamodel.enums.map((e) => [e.name, e.dbName ?? e.name]));
  const models = new Map(datamodel.models.map((m) => [m.name, m]));
  const tableOf = (model: string) => models.get(model)!.dbName ?? model;
  const columnOf = (model: string, field: string) => {
    const f = models.get(model)!.fields.find((x) => x.name === field)!;
    return f.dbName ?? f.name;
  };

  for (const e of datamodel.enums) shape.enums.set(e.dbName ?? e.name, list(e.values.map((v) => v.dbName ?? v.name)));

  for (const model of datamodel.models) {
    const table = tableOf(model.name);
    const columns = new Map<string, Column>();
    shape.tables.set(table, columns);
    for (const f of model.fields) {
      if (f.kind === 'scalar' || f.kind === 'enum') {
        if (f.nativeType) throw new Error(`${model.name}.${f.name}: @db native types are not handled by schema-diff yet`);
        const base = f.kind === 'enum' ? `enum ${enumDbName.get(f.type)}` : PG_TYPES[f.type];
        if (!base) throw new Error(`${model.name}.${f.name}: no PostgreSQL type known for ${f.type}`);
        const def = f.default as { name?: string } | undefined;
        columns.set(f.dbName ?? f.name, {
          type: f.isList ? `${base}[]` : base,
          // Prisma creates scalar lists without NOT NULL, whatever the field says.
          nullable: !f.isRequired || f.isList,
          hasDefault: f.hasDefaultValue && !CLIENT_DEFAULTS.has(def?.name ?? ''),
        });
      } else if (f.kind === 'object' && f.relationFromFields?.length) {
        // The side holding the foreign key. Prisma's defaults: a required relation
        // restricts deletes, an optional one sets null; updates cascade.
        const from = f.relationFromFields.map((x) => columnOf(model.name, x));
        const to = (f.relationToFields ?? []).map((x) => columnOf(f.type, x));
        const onDelete = f.relationOnDelete ?? (f.isRequired ? 'Restrict' : 'SetNull');
        const onUpdate = f.relationOnUpdate ?? 'Cascade';
        shape.foreignKeys.set(
          `${indexKey(table, from)} -> ${indexKey(tableOf(f.type), to)}`,
          `ON DELETE ${ACTIONS[onDelete]} ON UPDATE ${ACTIONS[onUpdate]}`,
        );
      }
    }
  }

  // datamodel.indexes covers @id/@@id, @unique/@@unique and @@index alike.
  for (const ix of datamodel.indexes) {
    const table = tableOf(ix.model);
    const cols = ix.fields.map((x) => columnOf(ix.model, x.name));
    if (ix.type === 'id') shape.primaryKeys.set(table, list(cols));
    else if (ix.type === 'unique') shape.uniques.add(indexKey(table, cols));
    else if (ix.type === 'normal') shape.indexes.add(indexKey(table, cols));
    else throw new Error(`${ix.model}: ${ix.type} indexes are not handled by schema-diff`);
  }
  return shape;
}

// -------------------------------------------------------------- database side

const IGNORED_TABLE = '_prisma_migrations'; // applyMigrations' bookkeeping, not in the schema

// Element types of arrays (information_schema names them by udt: _text, _int8, …).
const UDT_NAMES: Record<string, string> = {
  text: 'text',
  int4: 'integer',
  int8: 'bigint',
  bool: 'boolean',
  jsonb: 'jsonb',
  float8: 'double precision',
  bytea: 'bytea',
};

export async function databaseShape(db: Db): Promise<Shape> {
  const shape = emptyShape();

  // Enums first: array columns of enum type are recognised by name.
  const enums = await db.$queryRawUnsafe<{ name: string; labels: string[] }[]>(`
    SELECT t.typname::text AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
    FROM pg_type t
    JOIN pg_enum e ON e.enumtypid = t.oid
    JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname = current_schema()
    GROUP BY t.typname`);
  for (const e of enums) shape.enums.set(e.name, list(e.labels));

  const tables = await db.$queryRawUnsafe<{ table_name: string }[]>(`
    SELECT table_name::text FROM information_schema.tables
    WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> $1`, IGNORED_TABLE);
  for (const t of tables) shape.tables.set(t.table_name, new Map());

  const columns = await db.$queryRawUnsafe<{
    table_name: string; column_name: string; data_type: string; udt_name: string;
    is_nullable: string; has_default: boolean; datetime_precision: number | null;
    numeric_precision: number | null; numeric_scale: number | null;
  }[]>(`
    SELECT table_name::text, column_name::text, data_type::text, udt_name::text, is_nullable::text,
           (column_default IS NOT NULL OR is_identity = 'YES') AS has_default,
           datetime_precision::int, numeric_precision::int, numeric_scale::int
    FROM information_schema.columns
    WHERE table_schema = current_schema()`);
  const typeOf = (c: (typeof columns)[number]): string => {
    if (c.data_type === 'USER-DEFINED') return `enum ${c.udt_name}`;
    if (c.data_type === 'ARRAY') {
      const el = c.udt_name.slice(1);
      return `${shape.enums.has(el) ? `enum ${el}` : UDT_NAMES[el] ?? el}[]`;
    }
    if (c.data_type === 'timestamp without time zone') return `timestamp(${c.datetime_precision})`;
    if (c.data_type === 'timestamp with time zone') return `timestamptz(${c.datetime_precision})`;
    if (c.data_type === 'numeric') return `numeric(${c.numeric_precision},${c.numeric_scale})`;
    return c.data_type;
  };
  for (const c of columns) {
    shape.tables.get(c.table_name)?.set(c.column_name, {
      type: typeOf(c),
      nullable: c.is_nullable === 'YES',
      hasDefault: c.has_default,
    });
  }

  // Every index with its key columns in order (INCLUDE columns left out). A partial
  // or expression index is spelled so that it cannot pass for a plain one.
  const indexes = await db.$queryRawUnsafe<{
    table: string; is_primary: boolean; is_unique: boolean; columns: string[]; predicate: string | null;
  }[]>(`
    SELECT t.relname::text AS table, x.indisprimary AS is_primary, x.indisunique AS is_unique,
           ARRAY(
             SELECT coalesce(a.attname::text, '<expression>')
             FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
             LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
             WHERE k.ord <= x.indnkeyatts
             ORDER BY k.ord
           ) AS columns,
           pg_get_expr(x.indpred, x.indrelid) AS predicate
    FROM pg_index x
    JOIN pg_class t ON t.oid = x.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE n.nspname = current_schema() AND t.relname <> $1`, IGNORED_TABLE);
  for (const ix of indexes) {
    const key = indexKey(ix.table, ix.columns) + (ix.predicate ? ` WHERE ${ix.predicate}` : '');
    if (ix.is_primary) shape.primaryKeys.set(ix.table, list(ix.columns));
    else (ix.is_unique ? shape.uniques : shape.indexes).add(key);
  }

  const fks = await db.$queryRawUnsafe<{
    table: string; ref_table: string; columns: string[]; ref_columns: string[]; on_delete: string; on_update: string;
  }[]>(`
    SELECT t.relname::text AS table, r.relname::text AS ref_table,
           ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns,
           ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.ord) AS ref_columns,
           c.confdeltype::text AS on_delete, c.confupdtype::text AS on_update
    FROM pg_constraint c
    JOIN pg_class t ON t.oid = c.conrelid
    JOIN pg_class r ON r.oid = c.confrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE c.contype = 'f' AND n.nspname = current_schema()`);
  // pg_constraint's one-letter action codes.
  const action: Record<string, string> = { a: 'NO ACTION', r: 'RESTRICT', c: 'CASCADE', n: 'SET NULL', d: 'SET DEFAULT' };
  for (const fk of fks) {
    shape.foreignKeys.set(
      `${indexKey(fk.table, fk.columns)} -> ${indexKey(fk.ref_table, fk.ref_columns)}`,
      `ON DELETE ${action[fk.on_delete]} ON UPDATE ${action[fk.on_update]}`,
    );
  }
  return shape;
}

// ------------------------------------------------------------------ comparing

/** Every way the two shapes differ, one sentence each; empty when they agree. */
export function compareShapes(schema: Shape, db: Shape): string[] {
  const out: string[] = [];
  const nullability = (c: Column) => (c.nullable ? 'nullable' : 'NOT NULL');
  const defaults = (c: Column) => (c.hasDefault ? 'a default' : 'no default');

  for (const [table, columns] of schema.tables) {
    const actual = db.tables.get(table);
    if (!actual) {
      out.push(`missing table ${table} in database`);
      continue;
    }
    for (const [name, want] of columns) {
      const got = actual.get(name);
      const at = `${table}.${name}`;
      if (!got) out.push(`missing column ${at} in database`);
      else {
        if (want.type !== got.type) out.push(`${at}: type ${want.type} in schema, ${got.type} in database`);
        if (want.nullable !== got.nullable) out.push(`${at}: ${nullability(want)} in schema, ${nullability(got)} in database`);
        if (want.hasDefault !== got.hasDefault) out.push(`${at}: ${defaults(want)} in schema, ${defaults(got)} in database`);
      }
    }
    for (const name of actual.keys()) if (!columns.has(name)) out.push(`extra column ${table}.${name} in database`);
  }
  for (const table of db.tables.keys()) if (!schema.tables.has(table)) out.push(`extra table ${table} in database`);

  compareMaps(out, 'primary key of', schema.primaryKeys, db.primaryKeys, (t, a, b) => `primary key of ${t}: ${a} in schema, ${b} in database`);
  compareSets(out, 'unique index', schema.uniques, db.uniques);
  compareSets(out, 'index', schema.indexes, db.indexes);
  compareMaps(out, 'foreign key', schema.foreignKeys, db.foreignKeys, (k, a, b) => `foreign key ${k}: ${a} in schema, ${b} in database`);
  compareMaps(out, 'enum', schema.enums, db.enums, (e, a, b) => `enum ${e}: values ${a} in schema, ${b} in database`);
  return out;
}

function compareSets(out: string[], what: string, schema: Set<string>, db: Set<string>): void {
  for (const k of schema) if (!db.has(k)) out.push(`missing ${what} ${k}`);
  for (const k of db) if (!schema.has(k)) out.push(`extra ${what} ${k} in database`);
}

function compareMaps(
  out: string[], what: string, schema: Map<string, string>, db: Map<string, string>,
  differs: (key: string, schemaValue: string, dbValue: string) => string,
): void {
  for (const [k, v] of schema) {
    const got = db.get(k);
    if (got === undefined) out.push(`missing ${what} ${k}`);
    else if (got !== v) out.push(differs(k, v, got));
  }
  for (const k of db.keys()) if (!schema.has(k)) out.push(`extra ${what} ${k} in database`);
}

/** Differences between prisma/schema.prisma and the database `db` is connected to. */
export async function diffSchemaAgainstDatabase(db: Db, schemaText?: string): Promise<string[]> {
  return compareShapes(schemaShape(schemaText), await databaseShape(db));
}

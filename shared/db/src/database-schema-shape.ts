import type { Client } from 'pg';
import { emptyTable, type ReferentialAction, type SchemaShape, type TableShape } from './schema-shape';

/** Tables that belong to the migration tooling rather than to the schema. */
const IGNORED_TABLES = new Set(['_prisma_migrations']);

const TABLES = `
SELECT c.relname AS table_name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')`;

const COLUMNS = `
SELECT c.relname AS table_name, a.attname AS column_name,
       format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
       pg_get_expr(d.adbin, d.adrelid) AS default_expr, a.attidentity <> '' AS is_identity
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped`;

// Unique constraints own an index of the same name, so the indexes cover them too.
const INDEXES = `
SELECT t.relname AS table_name, i.relname AS index_name, ix.indisprimary AS is_primary,
       ix.indisunique AS is_unique, am.amname AS method,
       ARRAY(
         SELECT COALESCE(a.attname::text, pg_get_indexdef(ix.indexrelid, k.n, true))
                || CASE WHEN (ix.indoption[k.n - 1] & 1) = 1 THEN ' DESC' ELSE '' END
           FROM generate_series(1, ix.indnkeyatts) AS k(n)
           LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = ix.indkey[k.n - 1]
          ORDER BY k.n
       )::text[] AS columns
  FROM pg_index ix
  JOIN pg_class i ON i.oid = ix.indexrelid
  JOIN pg_class t ON t.oid = ix.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
  JOIN pg_am am ON am.oid = i.relam
 WHERE n.nspname = current_schema()`;

const FOREIGN_KEYS = `
SELECT con.conname AS name, t.relname AS table_name, ft.relname AS referenced_table,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
              ORDER BY k.ord)::text[] AS columns,
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
              ORDER BY k.ord)::text[] AS referenced_columns,
       con.confdeltype AS on_delete, con.confupdtype AS on_update
  FROM pg_constraint con
  JOIN pg_class t ON t.oid = con.conrelid
  JOIN pg_class ft ON ft.oid = con.confrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
 WHERE con.contype = 'f' AND n.nspname = current_schema()`;

const ACTIONS: Record<string, ReferentialAction> = {
  a: 'NoAction',
  r: 'Restrict',
  c: 'Cascade',
  n: 'SetNull',
  d: 'SetDefault',
};

/** The live schema (the connection's `current_schema()`), read from pg_catalog. */
export async function shapeOfDatabase(client: Client): Promise<SchemaShape> {
  const shape: SchemaShape = new Map();
  const table = (name: string): TableShape | undefined => shape.get(name);

  for (const row of (await client.query<{ table_name: string }>(TABLES)).rows) {
    if (!IGNORED_TABLES.has(row.table_name)) shape.set(row.table_name, emptyTable());
  }
  const columns = await client.query<{
    table_name: string;
    column_name: string;
    type: string;
    not_null: boolean;
    default_expr: string | null;
    is_identity: boolean;
  }>(COLUMNS);
  for (const row of columns.rows) {
    const isSequence = row.is_identity || (row.default_expr?.startsWith('nextval(') ?? false);
    table(row.table_name)?.columns.set(row.column_name, {
      // Enum types come back quoted when their name has capitals; the schema side is unquoted.
      type: row.type.replace(/"/g, ''),
      nullable: !row.not_null,
      default: isSequence ? 'sequence' : row.default_expr === null ? 'none' : 'value',
    });
  }
  const indexes = await client.query<{
    table_name: string;
    index_name: string;
    is_primary: boolean;
    is_unique: boolean;
    method: string;
    columns: string[];
  }>(INDEXES);
  for (const row of indexes.rows) {
    table(row.table_name)?.indexes.set(row.index_name, {
      columns: row.columns,
      kind: row.is_primary ? 'primary key' : row.is_unique ? 'unique' : 'index',
      method: row.method,
    });
  }
  const foreignKeys = await client.query<{
    name: string;
    table_name: string;
    referenced_table: string;
    columns: string[];
    referenced_columns: string[];
    on_delete: string;
    on_update: string;
  }>(FOREIGN_KEYS);
  for (const row of foreignKeys.rows) {
    table(row.table_name)?.foreignKeys.set(row.name, {
      columns: row.columns,
      referencedTable: row.referenced_table,
      referencedColumns: row.referenced_columns,
      onDelete: ACTIONS[row.on_delete] ?? 'NoAction',
      onUpdate: ACTIONS[row.on_update] ?? 'NoAction',
    });
  }
  return shape;
}

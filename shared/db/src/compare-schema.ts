import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { shapeOfDatabase } from './database-schema-shape';
import { shapeOfPrismaSchema } from './prisma-schema-shape';
import type { ColumnShape, ForeignKeyShape, IndexShape, SchemaShape } from './schema-shape';

export interface SchemaDifference {
  kind: 'table' | 'column' | 'type' | 'nullability' | 'default' | 'primary key' | 'unique' | 'index' | 'foreign key';
  /** `Table`, `Table.column`, or `Table.constraint_name`. */
  object: string;
  /** What schema.prisma implies; `absent` when the database has something the schema does not. */
  expected: string;
  /** What the database has; `missing` when the schema wants something the database lacks. */
  actual: string;
}

export interface CompareSchemaOptions {
  databaseUrl: string;
  /** A schema.prisma file. */
  schemaPath: string;
}

/**
 * Differences between the live database and what the Prisma schema implies: tables, columns,
 * column types, nullability, default presence, primary keys, unique constraints, indexes and
 * foreign keys. An empty list means the migrations build exactly the schema the client expects.
 */
export async function compareSchema(options: CompareSchemaOptions): Promise<SchemaDifference[]> {
  const expected = shapeOfPrismaSchema(readFileSync(options.schemaPath, 'utf8'));
  const client = new Client({ connectionString: options.databaseUrl });
  await client.connect();
  try {
    return diffShapes(expected, await shapeOfDatabase(client));
  } finally {
    await client.end();
  }
}

export function formatDifference(d: SchemaDifference): string {
  return `${d.kind} ${d.object}: schema wants ${d.expected}, database has ${d.actual}`;
}

export function diffShapes(expected: SchemaShape, actual: SchemaShape): SchemaDifference[] {
  const differences: SchemaDifference[] = [];
  for (const [tableName, want] of expected) {
    const have = actual.get(tableName);
    if (have === undefined) {
      differences.push({ kind: 'table', object: tableName, expected: 'table', actual: 'missing' });
      continue;
    }
    matchByName(want.columns, have.columns, (name, w, h) => {
      const object = `${tableName}.${name}`;
      if (w === undefined || h === undefined) {
        differences.push({
          kind: 'column',
          object,
          expected: w === undefined ? 'absent' : describeColumn(w),
          actual: h === undefined ? 'missing' : describeColumn(h),
        });
        return;
      }
      if (w.type !== h.type) differences.push({ kind: 'type', object, expected: w.type, actual: h.type });
      if (w.nullable !== h.nullable) {
        differences.push({ kind: 'nullability', object, expected: nullability(w), actual: nullability(h) });
      }
      if (w.default !== h.default) {
        differences.push({ kind: 'default', object, expected: defaultText(w), actual: defaultText(h) });
      }
    });
    matchByName(want.indexes, have.indexes, (name, w, h) => {
      if (w !== undefined && h !== undefined && describeIndex(w) === describeIndex(h)) return;
      differences.push({
        kind: (w ?? h)!.kind,
        object: `${tableName}.${name}`,
        expected: w === undefined ? 'absent' : describeIndex(w),
        actual: h === undefined ? 'missing' : describeIndex(h),
      });
    });
    matchByName(want.foreignKeys, have.foreignKeys, (name, w, h) => {
      if (w !== undefined && h !== undefined && describeForeignKey(w) === describeForeignKey(h)) return;
      differences.push({
        kind: 'foreign key',
        object: `${tableName}.${name}`,
        expected: w === undefined ? 'absent' : describeForeignKey(w),
        actual: h === undefined ? 'missing' : describeForeignKey(h),
      });
    });
  }
  for (const tableName of actual.keys()) {
    if (!expected.has(tableName)) differences.push({ kind: 'table', object: tableName, expected: 'absent', actual: 'table' });
  }
  return differences;
}

function matchByName<T>(want: Map<string, T>, have: Map<string, T>, visit: (name: string, w?: T, h?: T) => void): void {
  for (const [name, w] of want) visit(name, w, have.get(name));
  for (const [name, h] of have) if (!want.has(name)) visit(name, undefined, h);
}

const describeColumn = (column: ColumnShape): string =>
  `${column.type} ${nullability(column)} with ${defaultText(column)}`;

const nullability = (column: ColumnShape): string => (column.nullable ? 'NULL' : 'NOT NULL');

const defaultText = (column: ColumnShape): string =>
  ({ none: 'no default', sequence: 'a sequence default', value: 'a default' })[column.default];

const describeIndex = (index: IndexShape): string => `${index.kind} using ${index.method} (${index.columns.join(', ')})`;

const describeForeignKey = (fk: ForeignKeyShape): string =>
  `(${fk.columns.join(', ')}) references ${fk.referencedTable}(${fk.referencedColumns.join(', ')}) ` +
  `on delete ${fk.onDelete} on update ${fk.onUpdate}`;

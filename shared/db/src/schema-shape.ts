/**
 * The parts of a Postgres schema that a Prisma schema determines, in one form for both sides of
 * the comparison: what schema.prisma implies, and what the live database has.
 */
export type SchemaShape = Map<string, TableShape>;

export interface TableShape {
  columns: Map<string, ColumnShape>;
  /** Primary key, unique and plain indexes, by name. */
  indexes: Map<string, IndexShape>;
  foreignKeys: Map<string, ForeignKeyShape>;
}

export interface ColumnShape {
  /** As Postgres' `format_type` spells it: `integer`, `character varying(32)`, `timestamp(3) with time zone`. */
  type: string;
  nullable: boolean;
  /** Only whether a default exists and whether it is a sequence: the expressions are Postgres' to spell. */
  default: 'none' | 'sequence' | 'value';
}

export interface IndexShape {
  /** Column names, with ` DESC` appended to descending ones. */
  columns: string[];
  kind: 'primary key' | 'unique' | 'index';
  method: string;
}

export interface ForeignKeyShape {
  columns: string[];
  referencedTable: string;
  referencedColumns: string[];
  onDelete: ReferentialAction;
  onUpdate: ReferentialAction;
}

export type ReferentialAction = 'Cascade' | 'Restrict' | 'NoAction' | 'SetNull' | 'SetDefault';

export function emptyTable(): TableShape {
  return { columns: new Map(), indexes: new Map(), foreignKeys: new Map() };
}

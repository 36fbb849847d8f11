import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// The table types in src/db/schema.ts are written by hand; this test holds them to the migrated database:
// the same tables, the same columns, `| null` exactly where a column is nullable, and Generated<> (or a
// ColumnType that may be left out on insert) only where the database has a default.

interface TypedColumn {
  nullable: boolean;
  optionalOnInsert: boolean;
}

const schemaFile = fileURLToPath(new URL('../../src/db/schema.ts', import.meta.url));

/** Table name -> column name -> what its TypeScript type says, read with the compiler's parser. */
function typedTables(): Map<string, Map<string, TypedColumn>> {
  const source = ts.createSourceFile(
    schemaFile,
    readFileSync(schemaFile, 'utf8'),
    ts.ScriptTarget.ES2022,
    true,
  );
  const interfaces = new Map<string, ts.InterfaceDeclaration>();
  const aliases = new Map<string, ts.TypeNode>();
  for (const node of source.statements) {
    if (ts.isInterfaceDeclaration(node)) interfaces.set(node.name.text, node);
    if (ts.isTypeAliasDeclaration(node)) aliases.set(node.name.text, node.type);
  }
  const database = interfaces.get('Database');
  if (!database) throw new Error('schema.ts has no Database interface');
  const tables = new Map<string, Map<string, TypedColumn>>();
  for (const member of database.members) {
    if (!ts.isPropertySignature(member) || !member.type || !ts.isTypeReferenceNode(member.type)) continue;
    const table = interfaces.get(member.type.typeName.getText(source));
    if (!table) throw new Error(`no interface for table ${member.name.getText(source)}`);
    const columns = new Map<string, TypedColumn>();
    for (const col of table.members) {
      if (!ts.isPropertySignature(col) || !col.type) continue;
      columns.set(col.name.getText(source), describe_(col.type, aliases, source));
    }
    tables.set(member.name.getText(source), columns);
  }
  return tables;
}

/** Whether a column type admits null, and whether an insert may leave it out. */
function describe_(type: ts.TypeNode, aliases: Map<string, ts.TypeNode>, source: ts.SourceFile): TypedColumn {
  const text = type.getText(source);
  if (ts.isTypeReferenceNode(type)) {
    const name = type.typeName.getText(source);
    if (name === 'Generated')
      return { ...describe_(type.typeArguments![0]!, aliases, source), optionalOnInsert: true };
    if (name === 'ColumnType') {
      // ColumnType<Select, Insert, Update>: left out on insert when Insert admits undefined or is never.
      const [select, insert] = type.typeArguments ?? [];
      return {
        nullable: describe_(select!, aliases, source).nullable,
        optionalOnInsert: insert ? /\b(undefined|never)\b/.test(insert.getText(source)) : false,
      };
    }
    const alias = aliases.get(name);
    if (alias) return describe_(alias, aliases, source);
  }
  if (ts.isUnionTypeNode(type)) {
    const parts = type.types.map((t) => describe_(t, aliases, source));
    return {
      nullable: parts.some((p) => p.nullable) || type.types.some((t) => t.getText(source) === 'null'),
      optionalOnInsert: parts.some((p) => p.optionalOnInsert),
    };
  }
  return { nullable: text === 'null', optionalOnInsert: false };
}

describe('schema.ts against the migrated database', () => {
  let tdb: TestDatabase;
  let db: Kysely<unknown>;
  let columns: Array<{ table_name: string; column_name: string; is_nullable: string; has_default: boolean }>;

  beforeAll(async () => {
    tdb = await createTestDatabase();
    db = new Kysely<unknown>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: tdb.url }) }),
    });
    await migrateToLatest(db);
    columns = (
      await sql<{ table_name: string; column_name: string; is_nullable: string; has_default: boolean }>`
        select c.table_name, c.column_name, c.is_nullable,
          (c.column_default is not null or c.is_identity = 'YES') as has_default
        from information_schema.columns c
        join information_schema.tables t on t.table_name = c.table_name and t.table_schema = c.table_schema
        where c.table_schema = 'public' and t.table_type = 'BASE TABLE'
          and c.table_name not like 'kysely_%'`.execute(db)
    ).rows;
  });
  afterAll(async () => {
    await db?.destroy();
    await tdb?.drop();
  });

  it('has a type for every table and no type for a table that does not exist', () => {
    const typed = [...typedTables().keys()].sort();
    const real = [...new Set(columns.map((c) => c.table_name))].sort();
    expect(typed).toEqual(real);
  });

  it('names every column of every table, with null and insert defaults as the database has them', () => {
    const typed = typedTables();
    const problems: string[] = [];
    for (const [table, cols] of typed) {
      const real = columns.filter((c) => c.table_name === table);
      for (const c of real) {
        const t = cols.get(c.column_name);
        if (!t) {
          problems.push(`${table}.${c.column_name}: in the database, not in schema.ts`);
          continue;
        }
        const nullable = c.is_nullable === 'YES';
        if (t.nullable !== nullable)
          problems.push(
            `${table}.${c.column_name}: nullable ${nullable} in the database, ${t.nullable} in schema.ts`,
          );
        // A column the database fills in must not be demanded on insert; one it cannot fill must be.
        if (t.optionalOnInsert && !c.has_default && !nullable)
          problems.push(
            `${table}.${c.column_name}: optional on insert in schema.ts, but no default in the database`,
          );
        if (!t.optionalOnInsert && c.has_default && !nullable)
          problems.push(
            `${table}.${c.column_name}: has a default in the database; mark it Generated in schema.ts`,
          );
      }
      for (const name of cols.keys())
        if (!real.some((c) => c.column_name === name))
          problems.push(`${table}.${name}: in schema.ts, not in the database`);
    }
    expect(problems).toEqual([]);
  });
});

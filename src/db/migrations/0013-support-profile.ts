import { type Kysely, sql } from 'kysely';

// The support profile's words on every customer mail: the From display name of the desk, the subject tag
// format (`[Case #{number}]`, `【受付番号:{number}】`) and the signature block the templates end with.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table partner_profile
    add column desk_name text not null default '',
    add column subject_tag text not null default '[Case #{number}]',
    add column signature text not null default ''`.execute(db);
}

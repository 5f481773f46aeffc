import { sql, type Kysely } from 'kysely';

/**
 * Appointments lasting more than two hours, by start: the only ones that can reach into a period
 * from more than two hours before it.
 *
 * The book reads a period from `appointment_start` beginning 12 hours (the longest appointment)
 * before it, so a day view also read most of the afternoon before and dropped it. It now begins
 * two hours before (the evening before, empty in most clinics) and takes the longer appointments
 * from this small index. The two hours are `LONG_APPOINTMENT_MS` in
 * services/scheduling-queries.ts: the queries repeat this condition so SQLite can use the index.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX appointment_long ON appointment (starts_at, ends_at, deleted)
    WHERE ends_at - starts_at > 7200000`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only');
}

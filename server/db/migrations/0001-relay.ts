import { sql, type Kysely } from 'kysely';
import type { RelayDialect } from '../dialect';

/** Organisations, clinics, buckets, devices, enrolment, auth challenges, the message log, receipts. */
export async function up(db: Kysely<unknown>, dialect: RelayDialect): Promise<void> {
  const bytes = dialect === 'postgres' ? 'bytea' : 'blob';

  await db.schema
    .createTable('organisation')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('clinic')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisation.id'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('bucket')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisation.id'))
    .addColumn('clinic_id', 'text', (c) => c.references('clinic.id'))
    .addColumn('counter', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('device')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('clinic_id', 'text', (c) => c.notNull().references('clinic.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('signing_key', 'text', (c) => c.notNull())
    .addColumn('box_key', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'revoked')`))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .addColumn('contiguous_seq', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('highest_seq', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('device_by_clinic').on('device').column('clinic_id').execute();

  await db.schema
    .createTable('enrolment_request')
    .addColumn('code', 'text', (c) => c.primaryKey())
    .addColumn('clinic_id', 'text', (c) => c.notNull().references('clinic.id'))
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('device_name', 'text', (c) => c.notNull())
    .addColumn('signing_key', 'text', (c) => c.notNull())
    .addColumn('box_key', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'approved')`))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('approved_by', 'text')
    .addColumn('approved_at', 'bigint')
    .addColumn('sealed_clinic_key', 'text')
    .addColumn('key_id', 'text')
    .execute();
  await db.schema
    .createIndex('enrolment_by_clinic')
    .on('enrolment_request')
    .columns(['clinic_id', 'status'])
    .execute();
  await db.schema
    .createIndex('enrolment_by_expiry')
    .on('enrolment_request')
    .column('expires_at')
    .execute();

  await db.schema
    .createTable('auth_challenge')
    .addColumn('nonce', 'text', (c) => c.primaryKey())
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('challenge_by_expiry')
    .on('auth_challenge')
    .column('expires_at')
    .execute();

  await db.schema
    .createTable('message')
    .addColumn('bucket_id', 'text', (c) => c.notNull().references('bucket.id'))
    .addColumn('server_seq', 'bigint', (c) => c.notNull())
    .addColumn('v', 'integer', (c) => c.notNull())
    .addColumn('device_id', 'text', (c) => c.notNull().references('device.id'))
    .addColumn('device_seq', 'bigint', (c) => c.notNull())
    .addColumn('hlc', 'text', (c) => c.notNull())
    .addColumn('table_name', 'text', (c) => c.notNull())
    .addColumn('row_id', 'text', (c) => c.notNull())
    .addColumn('subject', 'text')
    .addColumn('op', 'text', (c) => c.notNull().check(sql`op in ('upsert', 'delete', 'shred')`))
    .addColumn('schema_version', 'integer', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('payload', sql.raw(bytes), (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('message_pk', ['bucket_id', 'server_seq'])
    .addUniqueConstraint('message_device_seq', ['device_id', 'device_seq'])
    .execute();
  // A shred deletes its subject's messages through this index...
  await db.schema
    .createIndex('message_by_subject')
    .on('message')
    .columns(['bucket_id', 'subject'])
    .execute();
  // ...and every push asks whether its subjects were shredded through this small one.
  await db.schema
    .createIndex('message_shreds')
    .on('message')
    .columns(['bucket_id', 'subject'])
    .where(sql<boolean>`op = 'shred'`)
    .execute();

  await db.schema
    .createTable('receipt')
    .addColumn('device_id', 'text', (c) => c.notNull().references('device.id'))
    .addColumn('device_seq', 'bigint', (c) => c.notNull())
    .addColumn('bucket_id', 'text', (c) => c.notNull())
    .addColumn('server_seq', 'bigint')
    .addColumn('digest', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('receipt_pk', ['device_id', 'device_seq'])
    .execute();
}

import {
  clinicBucketId,
  organisationBucketId,
  type ClinicBootstrap,
  type ClinicBootstrapResult,
} from '../../shared/sync/protocol';
import type { SignedInDevice } from '../auth';
import type { RelayContext } from '../context';
import { isUniqueViolation } from '../db/store';
import { RelayError } from '../errors';
import { deviceInfo } from './devices';

const taken = () =>
  new RelayError(409, 'CONFLICT', 'A clinic or workstation with this id already exists');

/**
 * Registers a clinic, its bucket and its first workstation; with a new organisation id, the
 * organisation and its bucket too. Joining an existing organisation needs a signed-in
 * workstation of that organisation, so nobody can attach a clinic (and read the organisation's
 * bucket) uninvited. A clinic id is never reused.
 */
export async function bootstrapClinic(
  ctx: RelayContext,
  input: ClinicBootstrap,
  caller: SignedInDevice | null,
): Promise<ClinicBootstrapResult> {
  const now = ctx.now();
  try {
    const device = await ctx.store.db.transaction().execute(async (tx) => {
      const organisation = await tx
        .selectFrom('organisation')
        .select('id')
        .where('id', '=', input.organisation)
        .executeTakeFirst();
      if (organisation && caller?.organisationId !== input.organisation)
        throw new RelayError(
          403,
          'FORBIDDEN',
          'Adding a clinic to an existing organisation needs a signed-in workstation of that organisation',
        );
      const clash =
        (await tx
          .selectFrom('clinic')
          .select('id')
          .where('id', '=', input.clinic)
          .executeTakeFirst()) ??
        (await tx
          .selectFrom('device')
          .select('id')
          .where('id', '=', input.device.id)
          .executeTakeFirst());
      if (clash) throw taken();
      if (!organisation) {
        await tx
          .insertInto('organisation')
          .values({ id: input.organisation, created_at: now })
          .execute();
        await tx
          .insertInto('bucket')
          .values({
            id: organisationBucketId(input.organisation),
            organisation_id: input.organisation,
            clinic_id: null,
            created_at: now,
          })
          .execute();
      }
      await tx
        .insertInto('clinic')
        .values({ id: input.clinic, organisation_id: input.organisation, created_at: now })
        .execute();
      await tx
        .insertInto('bucket')
        .values({
          id: clinicBucketId(input.clinic),
          organisation_id: input.organisation,
          clinic_id: input.clinic,
          created_at: now,
        })
        .execute();
      return tx
        .insertInto('device')
        .values({
          id: input.device.id,
          clinic_id: input.clinic,
          name: input.device.name,
          signing_key: input.device.signingKey,
          box_key: input.device.boxKey,
          status: 'active',
          created_at: now,
          last_seen: null,
          revoked_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    });
    return {
      organisation: input.organisation,
      clinic: input.clinic,
      buckets: {
        clinic: clinicBucketId(input.clinic),
        organisation: organisationBucketId(input.organisation),
      },
      device: deviceInfo(device),
    };
  } catch (error) {
    // Two setups racing for the same ids: the loser gets the same answer as a later attempt.
    if (isUniqueViolation(error)) throw taken();
    throw error;
  }
}

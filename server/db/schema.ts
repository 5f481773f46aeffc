import type { AuthChallengeTable } from './tables/auth-challenge';
import type { BucketTable } from './tables/bucket';
import type { ClinicTable } from './tables/clinic';
import type { DeviceTable } from './tables/device';
import type { EnrolmentRequestTable } from './tables/enrolment-request';
import type { MessageTable } from './tables/message';
import type { OrganisationTable } from './tables/organisation';
import type { ReceiptTable } from './tables/receipt';

/** Every table of the relay's store, the same on SQLite and Postgres. */
export interface RelayDatabase {
  organisation: OrganisationTable;
  clinic: ClinicTable;
  bucket: BucketTable;
  device: DeviceTable;
  enrolment_request: EnrolmentRequestTable;
  auth_challenge: AuthChallengeTable;
  message: MessageTable;
  receipt: ReceiptTable;
}

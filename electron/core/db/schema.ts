import type { ChangeLogTable } from './tables/change-log';
import type { ClinicTable } from './tables/clinic';
import type { HlcStateTable } from './tables/hlc-state';
import type { MetaTable } from './tables/meta';
import type { PatientTable } from './tables/patient';
import type { PatientAlertTable } from './tables/patient-alert';
import type { PatientDocumentTable } from './tables/patient-document';
import type { PatientInsuranceTable } from './tables/patient-insurance';
import type { PatientPhoneTable } from './tables/patient-phone';
import type { PatientSearchKeyTable } from './tables/patient-search-key';
import type { StaffTable } from './tables/staff';

/** The local store's tables. The FTS5 index `patient_search` is queried with raw SQL. */
export interface Database {
  meta: MetaTable;
  hlc_state: HlcStateTable;
  clinic: ClinicTable;
  staff: StaffTable;
  patient: PatientTable;
  patient_phone: PatientPhoneTable;
  patient_document: PatientDocumentTable;
  patient_insurance: PatientInsuranceTable;
  patient_alert: PatientAlertTable;
  patient_search_key: PatientSearchKeyTable;
  change_log: ChangeLogTable;
}

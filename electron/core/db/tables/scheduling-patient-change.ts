/** Local only: the `patients` version at which each patient (or one of their alerts) last changed. */
export interface SchedulingPatientChangeTable {
  patient_id: string;
  version: number;
}

import { describe, expect, it } from 'vitest';
import { historyFieldLabel, historyValue } from '../../../renderer/features/patients/labels';

const clinic = { country: 'GB', locale: 'en-GB' };

describe('history labels', () => {
  it('names change-log columns in the words of the form', () => {
    expect(historyFieldLabel('patient.given_names')).toBe('Given names');
    expect(historyFieldLabel('patient_phone.e164')).toBe('Phone number');
    expect(historyFieldLabel('patient_alert.description')).toBe('Alert');
    expect(historyFieldLabel('patient_phone.deleted')).toBe('Phone number');
    // A column added later is still readable rather than hidden.
    expect(historyFieldLabel('patient_insurance.plan_code')).toBe('Insurance plan code');
    expect(historyFieldLabel('patient.favourite_colour')).toBe('Favourite colour');
  });

  it('formats values: phones, dates, choices, yes/no and empties', () => {
    const v = (
      field: string,
      value: unknown,
      operation: 'insert' | 'update' | 'delete' = 'update',
    ) => historyValue({ field, value, operation }, clinic);
    expect(v('patient_phone.e164', '+442079460958')).toBe('020 7946 0958');
    expect(v('patient_phone.e164', '+49301234567')).toBe('+49 30 1234567');
    expect(v('patient.date_of_birth', '1985-03-12')).toBe('12 Mar 1985');
    expect(v('patient.sex', 'unknown')).toBe('Not recorded');
    expect(v('patient_alert.severity', 'high')).toBe('High');
    expect(v('patient_phone.preferred', 1)).toBe('Yes');
    expect(v('patient_phone.preferred', 0)).toBe('No');
    expect(v('patient.notes', null)).toBe('(empty)');
    expect(v('patient_phone.deleted', 1, 'delete')).toBe('—');
  });
});

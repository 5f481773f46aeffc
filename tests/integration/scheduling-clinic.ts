import { v7 as uuidv7 } from 'uuid';
import type { Core } from '../../electron/core/core';
import type { SchedulingSetupView } from '../../shared/ipc/scheduling';
import { zonedToUtc } from '../../shared/scheduling';
import { patientInput } from '../support/core';

/** The clinic's zone in every scheduling test (the support helpers set the clinic up in it). */
export const ZONE = 'Europe/London';

/** A UTC instant for a London wall-clock date and time. */
export const at = (date: string, time: string) => zonedToUtc(date, time, ZONE);

export const MIN = 60_000;

export interface TestBook {
  chairs: [string, string, string];
  dentist: string;
  hygienist: string;
  checkUp: string;
  scale: string;
  extraction: string;
  setup: SchedulingSetupView;
}

/**
 * Three chairs, a dentist (with a lunch break) and a hygienist (Mon-Thu), open 08:00-18:00 on
 * weekdays and 09:00-13:00 on Saturdays; check-ups (30 min, dentist), scale and polish (45 min,
 * either) and extractions (60 min, dentist).
 */
export async function setUpBook(core: Core): Promise<TestBook> {
  const chairs: [string, string, string] = [uuidv7(), uuidv7(), uuidv7()];
  for (const [i, id] of chairs.entries()) {
    await core.call('scheduling.saveChair', { chair: { id, name: `Chair ${i + 1}` } });
  }
  const dentist = uuidv7();
  const hygienist = uuidv7();
  await core.call('scheduling.saveProvider', {
    provider: { id: dentist, name: 'Dr Rao', kind: 'dentist', colour: '#1E88E5' },
  });
  await core.call('scheduling.saveProvider', {
    provider: { id: hygienist, name: 'Hana Hygienist', kind: 'hygienist', colour: '#43A047' },
  });
  const checkUp = uuidv7();
  const scale = uuidv7();
  const extraction = uuidv7();
  await core.call('scheduling.saveType', {
    type: {
      id: checkUp,
      name: 'Check-up',
      durationUnits: 6,
      colour: '#FB8C00',
      allowedProviderKinds: ['dentist'],
    },
  });
  await core.call('scheduling.saveType', {
    type: {
      id: scale,
      name: 'Scale and polish',
      durationUnits: 9,
      colour: '#8E24AA',
      allowedProviderKinds: ['dentist', 'hygienist'],
    },
  });
  await core.call('scheduling.saveType', {
    type: {
      id: extraction,
      name: 'Extraction',
      durationUnits: 12,
      colour: '#E53935',
      allowedProviderKinds: ['dentist'],
    },
  });
  const day = [{ start: '08:00', end: '18:00' }];
  await core.call('scheduling.setOpeningHours', {
    openingHours: {
      weekly: {
        mon: day,
        tue: day,
        wed: day,
        thu: day,
        fri: day,
        sat: [{ start: '09:00', end: '13:00' }],
      },
    },
  });
  const dentistDay = { hours: day, breaks: [{ start: '12:30', end: '13:30' }] };
  await core.call('scheduling.setProviderSchedule', {
    providerId: dentist,
    schedule: {
      weekly: {
        mon: dentistDay,
        tue: dentistDay,
        wed: dentistDay,
        thu: dentistDay,
        fri: dentistDay,
      },
    },
  });
  const hygienistDay = { hours: [{ start: '09:00', end: '17:00' }], breaks: [] };
  const setup = await core.call('scheduling.setProviderSchedule', {
    providerId: hygienist,
    schedule: {
      weekly: { mon: hygienistDay, tue: hygienistDay, wed: hygienistDay, thu: hygienistDay },
    },
  });
  return { chairs, dentist, hygienist, checkUp, scale, extraction, setup };
}

/** Registers a patient and returns its id; names differ so duplicate checks stay quiet. */
export async function newPatient(
  core: Core,
  givenNames: string,
  familyName: string,
  overrides: Parameters<typeof patientInput>[0] = {},
): Promise<string> {
  const p = await core.call('patients.create', {
    patient: patientInput({ givenNames, familyName, email: null, phones: [], ...overrides }),
    duplicatesReviewed: true,
  });
  return p.id;
}

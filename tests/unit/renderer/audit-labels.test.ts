import { describe, expect, it } from 'vitest';
import {
  actionChoices,
  actionLabel,
  details,
  verificationText,
} from '../../../renderer/features/audit/labels';
import { filterArgs, NO_FILTERS } from '../../../renderer/features/audit/store';
import { AUDIT_ACTIONS } from '../../../shared/domain/audit';

describe('audit screen wording', () => {
  it('names actions in words, from the shared list, row changes and command summaries', () => {
    expect(actionLabel('patients.get')).toBe('Opened a patient record');
    expect(actionLabel('session.password_changed')).toBe('Changed own password');
    expect(actionLabel('patient.upsert')).toBe('Saved patient');
    expect(actionLabel('break_glass_grant.insert')).toBe('Created break glass grant');
    expect(actionLabel('appointments.book')).toBe('Booked an appointment');
    expect(actionLabel('staff.add')).toBe(
      'Add a member of staff with a role, a first password and their own key',
    );
    expect(actionLabel('patients.archive')).toBe('Archived a patient');
    expect(actionLabel('something.new')).toBe('something.new');
  });

  it('offers every shared action, then other actions seen, once each', () => {
    const choices = actionChoices(['patients.get', 'zeta.insert', 'alpha.update', 'zeta.insert']);
    const listed = Object.keys(AUDIT_ACTIONS);
    expect(choices.map((c) => c.value)).toEqual([...listed, 'alpha.update', 'zeta.insert']);
  });

  it('shows field names and the reason, never anything else', () => {
    expect(details({ fields: ['phones', 'email'], reason: null })).toBe('phones, email');
    expect(details({ fields: [], reason: 'Collapsed' })).toBe('Reason: Collapsed');
    expect(details({ fields: [], reason: null })).toBe('');
  });

  it('passes the screen dates as they are: the core reads them as the clinic days', () => {
    expect(filterArgs(NO_FILTERS)).toEqual({});
    expect(
      filterArgs({
        ...NO_FILTERS,
        patientId: 'p',
        patientLabel: 'Zoë Müller',
        from: '2024-01-01',
        to: '2024-01-31',
      }),
    ).toEqual({ patientId: 'p', from: '2024-01-01', to: '2024-01-31' });
  });

  it('reports the chain: intact, broken at the first bad link, or off its checkpoint', () => {
    expect(
      verificationText({ ok: true, checked: 12, firstBroken: null, anchorMatches: true }),
    ).toEqual({
      ok: true,
      text: 'Chain intact: 12 events checked, no broken link, and it matches the last checkpoint.',
    });
    const broken = verificationText({
      ok: false,
      checked: 40,
      firstBroken: { seq: 17, reason: 'the event was changed after it was written' },
      anchorMatches: true,
    });
    expect(broken.ok).toBe(false);
    expect(broken.text).toMatch(/broken at event #17: the event was changed after it was written/);
    const rewritten = verificationText({
      ok: false,
      checked: 40,
      firstBroken: { seq: 0, reason: 'the chain does not match the checkpoint' },
      anchorMatches: false,
    });
    expect(rewritten.ok).toBe(false);
    expect(rewritten.text).toMatch(/does not match the checkpoint/);
  });
});

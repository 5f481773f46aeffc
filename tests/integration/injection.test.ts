import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../electron/core/core';
import type { Patient, PatientInput } from '../../shared/domain/patient';
import { tokenize } from '../../shared/text';
import { patientInput, setUpCore } from '../support/core';

/**
 * Hostile-looking text staff may legitimately type (or paste): every one must be stored and read
 * back exactly, and be searchable without errors. None starts or ends with whitespace or holds
 * control characters, which the schemas trim and strip by design.
 */
const HOSTILE: Array<[string, string]> = [
  ['SQL quote', "O'Brien'); DROP TABLE patient; --"],
  ['SQL tautology', `x" OR "1"="1`],
  ['SQL comment', 'Smith/* */UNION SELECT * FROM staff--'],
  ['SQL wildcards', '100% _sure_ \\%'],
  ['FTS quote', 'say "hello'],
  ['FTS star', 'Mül*'],
  ['FTS near', 'NEAR(zoe muller, 2)'],
  ['FTS operators', 'zoe OR muller AND NOT x'],
  ['FTS minus', '-zoe -"muller"'],
  ['FTS caret', '^Zoë ^'],
  ['FTS column', 'names : zoe phones:*'],
  ['FTS column set', '{names phones} : muller'],
  ['FTS brackets', '(zoe) + (muller'],
  ['HTML script', '<script>alert(document.cookie)</script>'],
  ['HTML attribute', '"><img src=x onerror=alert(1)>'],
  ['HTML entity', '&lt;b&gt; &amp; &#x27;'],
  ['RTL override', 'Zoë \u202eredlüM\u202c Ann'],
  ['bidi isolates', 'Ann \u2067عائشة\u2069 Lee'],
  ['zero width', 'Zo\u200bë\u200d Mül\u2060ler'],
  ['emoji', 'Zoë 🦷😀 Müller 👩🏽‍⚕️ 🇬🇧'],
  ['combining marks', 'Zoe\u0308 Mu\u0308ller Z\u0351\u0354a\u0353l\u0336g\u0337o'],
  ['Arabic', 'محمد عبد الله'],
  ['Hebrew', 'שָׁלוֹם כהן'],
  ['CJK beyond the BMP', '田中 𠜎𠜱'],
  ['Devanagari', 'श्रीमती देवी'],
  ['Turkish dotted I', 'İstanbul ıi'],
  ['German sharp s', 'Straße ẞ'],
  ['backslashes', 'C:\\Users\\x\\n \\u0000'],
  ['JSON', '{"__proto__": {"admin": true}}'],
  ['template', '${process.exit(1)} {{7*7}} %s %n'],
  ['inner newline', 'line one\nline two\tand a tab'],
];

let core: Core;
beforeAll(async () => {
  ({ core } = await setUpCore());
});
afterAll(async () => {
  await core.close();
});

/** Cuts text to a field's length without splitting a surrogate pair. */
function fit(text: string, max: number): string {
  const chars = Array.from(text);
  let out = '';
  for (const ch of chars) {
    if (out.length + ch.length > max) break;
    out += ch;
  }
  return out.trim();
}

function hostilePatient(text: string, n: number): PatientInput {
  return patientInput({
    title: fit(text, 30),
    givenNames: fit(`${text} given`, 100),
    familyName: fit(`${text} family ${n}`, 100),
    patronymic: fit(text, 100),
    preferredName: fit(text, 100),
    gender: fit(text, 50),
    email: null,
    phones: [{ number: `07400 ${String(200000 + n)}`, type: 'mobile', preferred: true }],
    address: {
      line1: fit(text, 120),
      line2: fit(`${text} 2`, 120),
      city: fit(text, 80),
      region: fit(text, 80),
      postalCode: fit(text, 20),
      country: 'GB',
    },
    preferredLanguage: fit(text, 35),
    documents: [{ type: 'passport', number: fit(text, 50), issuingCountry: 'GB' }],
    insurance: [{ payer: fit(text, 100), memberNumber: fit(text, 50) }],
    emergencyContact: { name: fit(text, 120), relationship: fit(text, 60), phone: '020 7946 0958' },
    guardian: {
      kind: 'contact',
      name: fit(text, 120),
      relationship: fit(text, 60),
      phone: '020 7946 0959',
    },
    alerts: [{ kind: 'allergy', description: fit(text, 200), severity: 'moderate' }],
    notes: `${text}\n\n${text}`,
  });
}

/** The free text of a patient record, as stored and returned. */
function freeText(p: Patient | PatientInput) {
  const guardian = p.guardian?.kind === 'contact' ? p.guardian : null;
  return {
    title: p.title,
    givenNames: p.givenNames,
    familyName: p.familyName,
    patronymic: p.patronymic,
    preferredName: p.preferredName,
    gender: p.gender,
    address: { ...p.address },
    preferredLanguage: p.preferredLanguage,
    document: p.documents[0]?.number,
    payer: p.insurance[0]?.payer,
    memberNumber: p.insurance[0]?.memberNumber,
    emergencyName: p.emergencyContact?.name,
    emergencyRelationship: p.emergencyContact?.relationship,
    guardianName: guardian?.name,
    guardianRelationship: guardian?.relationship,
    alert: p.alerts[0]?.description,
    notes: p.notes,
  };
}

describe('hostile text in every free-text field', () => {
  it.each(HOSTILE.map(([label, text], n) => [label, text, n] as const))(
    '%s: round-trips verbatim through create, get, update and history',
    async (_label, text, n) => {
      const input = hostilePatient(text, n);
      const created = await core.dispatch('patients.create', {
        patient: input,
        duplicatesReviewed: true,
      });
      expect(created.ok ? null : created.error).toBeNull();
      if (!created.ok) return;
      const id = (created.value as Patient).id;
      const fetched = await core.call('patients.get', { id });
      expect(freeText(fetched)).toEqual(freeText(input));

      const updated = await core.call('patients.update', {
        id,
        patch: { notes: `${text} (edited)`, preferredName: fit(`${text}!`, 100) },
      });
      expect(updated.notes).toBe(`${text} (edited)`);
      expect(updated.preferredName).toBe(fit(`${text}!`, 100));
      const history = await core.call('patients.history', { id });
      expect(history.find((h) => h.field === 'patient.notes')?.value).toBe(`${text} (edited)`);
      expect(
        history.some((h) => h.field === 'patient.family_name' && h.value === input.familyName),
      ).toBe(true);
    },
  );

  it.each(HOSTILE)(
    '%s: searching for it never fails, and finds the patient by name',
    async (_label, text) => {
      for (const query of [text, fit(text, 200), `${text} family`, text.slice(0, 3), `"${text}"`]) {
        const r = await core.dispatch('patients.search', { query: query.slice(0, 200), limit: 50 });
        expect(r.ok ? null : r.error, JSON.stringify(query)).toBeNull();
      }
      const tokens = tokenize(text);
      if (tokens.length === 0) return;
      // Every patient above has "<text> family <n>" as family name: the text's tokens find it.
      const found = await core.call('patients.search', { query: `${text} family`, limit: 200 });
      expect(
        found.items.some((p) => p.familyName.startsWith(fit(`${text} family`, 100))),
        JSON.stringify(tokens),
      ).toBe(true);
    },
  );

  it('finds duplicates by hostile names without errors', async () => {
    for (const [, text] of HOSTILE) {
      const r = await core.dispatch('patients.findDuplicates', {
        givenNames: fit(`${text} given`, 100),
        familyName: text,
        dateOfBirth: '1985-03-12',
        phones: [text.slice(0, 40)],
        email: null,
      });
      expect(r.ok ? null : r.error, text).toBeNull();
    }
  });

  it('refuses text with broken characters rather than altering it', async () => {
    // A lone surrogate cannot be stored as UTF-8: it would silently become U+FFFD.
    const cases: Array<[string, Partial<PatientInput>]> = [
      ['patient.familyName', { familyName: 'Ab\ud800cd' }],
      ['patient.givenNames', { givenNames: 'x\udc00' }],
      ['patient.notes', { notes: 'end\ud83d' }],
      [
        'patient.alerts.0.description',
        { alerts: [{ kind: 'allergy', description: '\udfff', severity: 'low' }] },
      ],
    ];
    for (const [field, overrides] of cases) {
      const r = await core.dispatch('patients.create', {
        patient: patientInput({ email: null, phones: [], ...overrides }),
        duplicatesReviewed: true,
      });
      expect(r, field).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
      if (!r.ok) expect(r.error.fields?.map((f) => f.path)).toContain(field);
    }
  });
});

import type {
  AlertKind,
  AlertSeverity,
  ContactChannel,
  DocumentType,
  PatientData,
  PatientStatus,
  Sex,
} from '../../../shared/domain/patient';
import type { NewPatientRecord } from '../services/patients';
import { generateAddress } from './addresses';
import { bulkIdFactory } from './ids';
import {
  CULTURES,
  EMERGENCY_RELATIONSHIPS,
  GUARDIAN_RELATIONSHIPS,
  cultureWeights,
  gendered,
  nameForm,
  type Culture,
} from './names';
import { generatePhone, hasNumberPlan, type GeneratedPhone } from './phones';
import { Random, Weighted } from './random';

export const DEFAULT_SEED_VALUE = 'enamel-seed-1';

export interface GeneratorOptions {
  /** Same value, same clinic settings and same `today`: same patients, in the same order. */
  seedValue?: string;
  /** The clinic's country: phone numbers, addresses and insurers follow it. */
  country: string;
  /** The clinic's locale, for titles (Mr, Frau, Mme...). */
  locale: string;
  /** Patients under this age get a guardian. */
  ageOfConsent: number;
  /** The day ages are counted from (YYYY-MM-DD), usually today in the clinic's time zone. */
  today: string;
  /** Record ids; fresh UUIDv7s by default (not from the seed, so seeding twice never clashes). */
  newId?: () => string;
}

/**
 * Where a generator is (its random stream and the adults it remembers as possible parents): plain
 * data, so that a generator on another thread can go on from there.
 */
export interface GeneratorState {
  random: [number, number, number, number];
  parents: Array<[culture: string, adults: Parent[]]>;
}

/** A potential parent: adults are remembered so that children can have a patient as guardian. */
export interface Parent {
  id: string;
  age: number;
  female: boolean;
  native: boolean;
  familyEntry: string;
  givenEntry: string;
}

const AGE_BANDS = new Weighted<readonly [number, number]>([
  [[0, 4], 5],
  [[5, 11], 8],
  [[12, 15], 6],
  [[16, 17], 3],
  [[18, 29], 14],
  [[30, 44], 20],
  [[45, 59], 20],
  [[60, 74], 15],
  [[75, 97], 9],
]);

const SEXES = new Weighted<Sex>([
  ['female', 510],
  ['male', 485],
  ['intersex', 2],
  ['unknown', 3],
]);

const STATUSES = new Weighted<PatientStatus>([
  ['active', 90],
  ['inactive', 6],
  ['archived', 3],
  ['deceased', 1],
]);

const CHANNELS = new Weighted<ContactChannel>([
  ['sms', 45],
  ['email', 25],
  ['phone', 12],
  ['whatsapp', 8],
  ['post', 5],
  ['none', 5],
]);

const GENDERS = ['Non-binary', 'Woman', 'Man', 'Trans woman', 'Trans man', 'Prefer not to say'];

type AlertTemplate = readonly [AlertKind, string, AlertSeverity];
const ALERTS: readonly AlertTemplate[] = [
  ['allergy', 'Penicillin', 'high'],
  ['allergy', 'Amoxicillin', 'high'],
  ['allergy', 'Latex', 'high'],
  ['allergy', 'Chlorhexidine', 'high'],
  ['allergy', 'Articaine (local anaesthetic)', 'high'],
  ['allergy', 'Ibuprofen', 'moderate'],
  ['allergy', 'Aspirin', 'moderate'],
  ['allergy', 'Codeine', 'moderate'],
  ['allergy', 'Peanuts', 'moderate'],
  ['allergy', 'Nickel', 'low'],
  ['condition', 'Type 2 diabetes', 'moderate'],
  ['condition', 'Type 1 diabetes', 'moderate'],
  ['condition', 'Hypertension', 'moderate'],
  ['condition', 'Asthma', 'low'],
  ['condition', 'Epilepsy', 'moderate'],
  ['condition', 'Haemophilia A', 'high'],
  ['condition', 'Prosthetic heart valve', 'high'],
  ['condition', 'Previous infective endocarditis', 'high'],
  ['condition', 'Pacemaker fitted', 'high'],
  ['condition', 'Hepatitis B', 'moderate'],
  ['condition', 'Dental anxiety', 'low'],
  ['medication', 'Warfarin', 'high'],
  ['medication', 'Apixaban', 'high'],
  ['medication', 'Rivaroxaban', 'high'],
  ['medication', 'Clopidogrel', 'moderate'],
  ['medication', 'Alendronic acid (bisphosphonate)', 'high'],
  ['medication', 'Prednisolone', 'moderate'],
  ['medication', 'Insulin', 'moderate'],
  ['medication', 'Metformin', 'low'],
  ['medication', 'Levothyroxine', 'low'],
  ['medication', 'Amlodipine', 'low'],
  ['medication', 'Salbutamol inhaler', 'low'],
  ['medication', 'Sertraline', 'low'],
];
const PREGNANCY: AlertTemplate = ['condition', 'Pregnant', 'moderate'];

const NOTES = [
  'Prefers morning appointments',
  'Nervous patient: allow extra time',
  'Wheelchair user: ground-floor surgery only',
  'Needs an interpreter',
  'Hard of hearing: face the patient when speaking',
  'Works nights; call after 2 pm',
  'Prefers a female clinician',
  'Do not leave voicemail',
];

const INSURERS: Readonly<Record<string, readonly string[]>> = {
  GB: ['Denplan', 'Bupa Dental Cover', 'Simplyhealth', 'Practice Plan', 'WPA', 'Vitality Health'],
  IE: ['VHI Healthcare', 'Laya Healthcare', 'Irish Life Health'],
  DE: ['AOK Bayern', 'Techniker Krankenkasse', 'BARMER', 'DAK-Gesundheit', 'IKK classic'],
  FR: ['CPAM de Paris', 'MGEN', 'Harmonie Mutuelle', 'AXA Santé'],
  ES: ['Sanitas', 'Adeslas', 'DKV Seguros', 'Asisa'],
  PL: ['NFZ', 'LUX MED', 'Medicover', 'PZU Zdrowie'],
  US: ['Delta Dental', 'MetLife Dental', 'Cigna Dental', 'Aetna Dental'],
};
const INTERNATIONAL_INSURERS = ['Allianz Care', 'Cigna Global', 'AXA Global Healthcare'];

const TITLES: Readonly<
  Record<string, { female: readonly string[]; male: readonly string[]; other: string | null }>
> = {
  en: {
    female: ['Mrs', 'Ms', 'Ms', 'Miss', 'Dr'],
    male: ['Mr', 'Mr', 'Mr', 'Mr', 'Dr'],
    other: 'Mx',
  },
  de: { female: ['Frau', 'Frau', 'Dr.'], male: ['Herr', 'Herr', 'Dr.'], other: null },
  fr: { female: ['Mme', 'Mme', 'Dr'], male: ['M.', 'M.', 'Dr'], other: null },
  es: { female: ['Sra.', 'Sra.', 'Dra.'], male: ['Sr.', 'Sr.', 'Dr.'], other: null },
  pl: { female: ['Pani', 'Pani', 'dr'], male: ['Pan', 'Pan', 'dr'], other: null },
};

const SPANISH_ID_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE';
const GERMAN_ID_ALPHABET = 'CFGHJKLMNPRTVWXYZ0123456789';
const EMAIL_DOMAINS = ['example.com', 'example.org', 'example.net'];
const ASCII_FOLDS: Readonly<Record<string, string>> = {
  ł: 'l',
  đ: 'd',
  ß: 'ss',
  ı: 'i',
  ø: 'o',
  æ: 'ae',
  œ: 'oe',
};
const CYRILLIC_TO_LATIN: Readonly<Record<string, string>> = Object.fromEntries(
  'а:a б:b в:v г:g д:d е:e ё:yo ж:zh з:z и:i й:y к:k л:l м:m н:n о:o п:p р:r с:s т:t у:u ф:f х:kh ц:ts ч:ch ш:sh щ:shch ъ: ы:y ь: э:e ю:yu я:ya'
    .split(' ')
    .map((pair) => pair.split(':') as [string, string]),
);

const asciiCache = new Map<string, string>();

/** ASCII letters for the local part of an email address (names come from a finite pool). */
function asciiName(name: string): string {
  let out = asciiCache.get(name);
  if (out === undefined) {
    out = '';
    for (const ch of name
      .toLowerCase()
      .normalize('NFKD')
      .replace(/\p{M}+/gu, ''))
      out += ASCII_FOLDS[ch] ?? CYRILLIC_TO_LATIN[ch] ?? ch;
    out = out.replace(/[^a-z0-9]/g, '');
    asciiCache.set(name, out);
  }
  return out;
}

// Calendar arithmetic on day numbers (days since 1970-01-01), without Date objects: the
// generator makes several dates per patient. Algorithms from H. Hinnant, "chrono-Compatible
// Low-Level Date Algorithms".
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [m <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, m, d];
}

type PhoneType = PatientData['phones'][number]['type'];

function addPhone(
  phones: GeneratedPhone[],
  types: PhoneType[],
  phone: GeneratedPhone,
  type: PhoneType,
): void {
  // The same number twice would fail validation; the odds are tiny, but the check is cheap.
  for (const p of phones) if (p.e164 === phone.e164) return;
  phones.push(phone);
  types.push(type);
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

function isoDay(days: number): string {
  const [y, m, d] = civilFromDays(days);
  return `${y}-${pad2(m)}-${pad2(d)}`;
}

interface PersonName {
  given: string;
  family: string;
  patronymic: string | null;
  /** Latin spelling, for email addresses. */
  latinGiven: string;
  latinFamily: string;
  preferred: string | null;
  givenEntry: string;
  familyEntry: string;
}

/**
 * Makes realistic, varied patients (see names.ts for the communities), deterministically: one
 * seeded random stream, consumed in a fixed order. Output is already in the shape
 * `insertPatientsBulk` takes: parsed input, phones with their E.164 form and search keys.
 */
export class PatientGenerator {
  private readonly random: Random;
  private readonly cultures: Weighted<Culture>;
  private readonly parents = new Map<string, Parent[]>();
  private readonly today: readonly [number, number, number];
  private readonly todayDays: number;
  private readonly newId: () => string;
  private readonly phoneCountry: string;
  private readonly titles: (typeof TITLES)[string] | null;

  constructor(private readonly options: GeneratorOptions) {
    this.random = new Random(options.seedValue ?? DEFAULT_SEED_VALUE);
    this.cultures = new Weighted(cultureWeights(options.country));
    this.today = options.today.split('-').map(Number) as [number, number, number];
    this.todayDays = daysFromCivil(...this.today);
    this.newId = options.newId ?? bulkIdFactory();
    // Clinics in countries without a number plan here get international numbers.
    this.phoneCountry = hasNumberPlan(options.country) ? options.country : 'GB';
    this.titles = TITLES[options.locale.slice(0, 2)] ?? null;
  }

  state(): GeneratorState {
    return {
      random: this.random.state(),
      parents: [...this.parents].map(([culture, adults]) => [
        culture,
        adults.map((p) => ({ ...p })),
      ]),
    };
  }

  /** Goes on from where another generator with the same options was (see `state`). */
  restore(state: GeneratorState): void {
    this.random.restore(state.random);
    this.parents.clear();
    for (const [culture, adults] of state.parents)
      this.parents.set(
        culture,
        adults.map((p) => ({ ...p })),
      );
  }

  next(): NewPatientRecord {
    const r = this.random;
    const culture = this.cultures.sample(r);
    const [minAge, maxAge] = AGE_BANDS.sample(r);
    const targetAge = r.int(minAge, maxAge);
    const [ty, tm, td] = this.today;
    // Any day in the year that ends on the `targetAge` birthday (29 February rolls to 1 March).
    const born = civilFromDays(daysFromCivil(ty - targetAge, tm, td) - r.int(0, 364));
    const dateOfBirth = `${born[0]}-${pad2(born[1])}-${pad2(born[2])}`;
    const age = ty - born[0] - (tm < born[1] || (tm === born[1] && td < born[2]) ? 1 : 0);
    const minor = age < this.options.ageOfConsent;
    const sex = SEXES.sample(r);
    const female = sex === 'female' || (sex !== 'male' && r.chance(0.5));
    const native = r.chance(culture.nativeScript);

    let parent: Parent | null = null;
    if (minor && r.chance(0.55)) parent = this.findParent(culture, age);
    const name = this.personName(culture, female, parent?.native ?? native, parent);
    const id = this.newId();

    const phones: GeneratedPhone[] = [];
    const phoneTypes: PhoneType[] = [];
    if (age >= 16 ? r.chance(0.96) : age >= 12 && r.chance(0.5)) {
      const home = culture.homeCountry;
      const abroad = home !== null && home !== this.phoneCountry && hasNumberPlan(home);
      const country = abroad && r.chance(0.12) ? home : this.phoneCountry;
      addPhone(
        phones,
        phoneTypes,
        generatePhone(r, country, this.options.country, 'mobile'),
        'mobile',
      );
    }
    if (age >= 16 && r.chance(0.15))
      addPhone(
        phones,
        phoneTypes,
        generatePhone(r, this.phoneCountry, this.options.country, 'landline'),
        'home',
      );
    if (age >= 18 && r.chance(0.04))
      addPhone(
        phones,
        phoneTypes,
        generatePhone(r, this.phoneCountry, this.options.country, 'mobile'),
        'work',
      );
    const preferredIndex =
      phones.length === 0 ? -1 : r.chance(0.1) ? -1 : r.chance(0.9) ? 0 : phones.length - 1;

    const email = (age >= 16 ? r.chance(0.7) : age >= 12 && r.chance(0.25))
      ? this.email(name.latinGiven, name.latinFamily)
      : null;

    let guardian: PatientData['guardian'] = null;
    let guardianPhone: string | null = null;
    if (minor) {
      if (parent) {
        guardian = {
          kind: 'patient',
          patientId: parent.id,
          relationship: parent.female ? 'Mother' : 'Father',
        };
      } else {
        const guardianFemale = r.chance(0.6);
        const given = nameForm(r.pick(guardianFemale ? culture.female : culture.male));
        const family = nameForm(gendered(name.familyEntry, guardianFemale));
        const scriptFamily = native ? family.native : family.latin;
        const phone = generatePhone(r, this.phoneCountry, this.options.country, 'mobile');
        guardian = {
          kind: 'contact',
          name: `${native ? given.native : given.latin} ${scriptFamily}`,
          relationship: r.pick(GUARDIAN_RELATIONSHIPS[guardianFemale ? 'female' : 'male']),
          phone: phone.typed,
        };
        guardianPhone = phone.e164;
      }
    }

    let emergencyContact: PatientData['emergencyContact'] = null;
    let emergencyPhone: string | null = null;
    if (!minor && r.chance(0.25)) {
      const contactFemale = r.chance(0.5);
      const given = nameForm(r.pick(contactFemale ? culture.female : culture.male));
      const family = r.chance(0.6)
        ? nameForm(gendered(name.familyEntry, contactFemale))
        : nameForm(gendered(r.pick(culture.family), contactFemale));
      const phone = generatePhone(r, this.phoneCountry, this.options.country, 'mobile');
      emergencyContact = {
        name: native ? `${given.native} ${family.native}` : `${given.latin} ${family.latin}`,
        relationship: r.pick(EMERGENCY_RELATIONSHIPS),
        phone: phone.typed,
      };
      emergencyPhone = phone.e164;
    }

    let status = STATUSES.sample(r);
    if (status === 'deceased' && age < 50) status = 'active';

    let preferredChannel: ContactChannel | null = minor ? null : CHANNELS.sample(r);
    const reachableByPhone = phones.length > 0;
    if (
      (preferredChannel === 'sms' ||
        preferredChannel === 'phone' ||
        preferredChannel === 'whatsapp') &&
      !reachableByPhone
    )
      preferredChannel = email ? 'email' : 'post';
    if (preferredChannel === 'email' && !email)
      preferredChannel = reachableByPhone ? 'sms' : 'post';

    const data: PatientData = {
      title: this.title(age, sex, female),
      givenNames: name.given,
      familyName: name.family,
      patronymic: name.patronymic,
      preferredName: name.preferred,
      dateOfBirth,
      sex,
      gender: r.chance(0.01) ? r.pick(GENDERS) : null,
      phones: phones.map((p, i) => ({
        number: p.typed,
        type: phoneTypes[i]!,
        preferred: i === preferredIndex,
      })),
      email,
      address: generateAddress(r, this.options.country),
      preferredLanguage: culture.language,
      preferredChannel,
      documents: this.documents(culture, name),
      insurance: this.insurance(),
      emergencyContact,
      guardian,
      alerts: this.alerts(age, female),
      notes: r.chance(0.08) ? r.pick(NOTES) : null,
      status,
      chartNumber: null,
    };

    if (!minor && age >= 20 && age <= 60 && status === 'active') {
      const pool = this.parents.get(culture.id) ?? [];
      const entry: Parent = {
        id,
        age,
        female,
        native,
        familyEntry: name.familyEntry,
        givenEntry: name.givenEntry,
      };
      // A bounded, rolling pool keeps memory flat however many patients are made.
      if (pool.length < 64) pool.push(entry);
      else pool[r.int(0, 63)] = entry;
      this.parents.set(culture.id, pool);
    }

    return {
      id,
      data,
      phonesE164: phones.map((p) => p.e164),
      emergencyPhone,
      guardianPhone,
      phoneSearchKeys: phones.map((p) => p.searchKeys),
    };
  }

  private findParent(culture: Culture, childAge: number): Parent | null {
    const pool = this.parents.get(culture.id);
    if (!pool || pool.length === 0) return null;
    for (let attempt = 0; attempt < 4; attempt++) {
      const candidate = this.random.pick(pool);
      const gap = candidate.age - childAge;
      if (gap >= 18 && gap <= 50) return candidate;
    }
    return null;
  }

  private personName(
    culture: Culture,
    female: boolean,
    native: boolean,
    parent: Parent | null,
  ): PersonName {
    const r = this.random;
    const givenEntry = r.pick(female ? culture.female : culture.male);
    const given = nameForm(givenEntry);
    let givenNative = given.native;
    let givenLatin = given.latin;
    if (culture.middle) {
      const middle = r.pick(female ? culture.middle.female : culture.middle.male);
      givenNative = givenLatin = `${middle} ${given.latin}`;
    } else if (r.chance(culture.secondGiven)) {
      const second = nameForm(r.pick(female ? culture.female : culture.male));
      if (second.latin !== given.latin) {
        givenNative = `${givenNative} ${second.native}`;
        givenLatin = `${givenLatin} ${second.latin}`;
      }
    }

    let familyEntry: string;
    if (parent) familyEntry = parent.familyEntry;
    else if (culture.doubleFamily)
      familyEntry = `${r.pick(culture.family)} ${r.pick(culture.family)}`;
    else familyEntry = r.pick(culture.family);
    const family = culture.doubleFamily
      ? { native: familyEntry, latin: familyEntry }
      : nameForm(gendered(familyEntry, female));

    let patronymic: string | null = null;
    if (culture.patronymics) {
      const fatherEntry =
        parent && !parent.female ? parent.givenEntry : r.pick(Object.keys(culture.patronymics));
      const forms = culture.patronymics[fatherEntry];
      if (forms) {
        const p = nameForm(gendered(forms, female));
        patronymic = native ? p.native : p.latin;
      }
    }

    const nickname = culture.nicknames?.[native ? given.native : given.latin];
    return {
      given: native ? givenNative : givenLatin,
      family: native ? family.native : family.latin,
      patronymic,
      latinGiven: given.latin,
      latinFamily: family.latin,
      preferred: nickname && r.chance(0.3) ? nickname : null,
      givenEntry,
      familyEntry,
    };
  }

  private email(given: string, family: string): string {
    const r = this.random;
    const first = asciiName(given.split(' ')[0] ?? '') || 'patient';
    const last = asciiName(family) || 'mail';
    const local = r.chance(0.5)
      ? `${first}.${last}`
      : r.chance(0.5)
        ? `${first[0]}${last}${r.int(1, 99)}`
        : `${first}${last}${r.int(1950, 2020)}`;
    return `${local}@${r.pick(EMAIL_DOMAINS)}`;
  }

  private title(age: number, sex: Sex, female: boolean): string | null {
    const t = this.titles;
    if (!t || age < 16 || this.random.chance(0.3)) return null;
    if (sex === 'intersex' || sex === 'unknown') return t.other;
    return this.random.pick(female ? t.female : t.male);
  }

  private documents(culture: Culture, name: PersonName): PatientData['documents'] {
    const r = this.random;
    if (!r.chance(0.15)) return [];
    const issuingCountry = culture.homeCountry ?? this.options.country;
    const type: DocumentType = r.pick([
      'passport',
      'passport',
      'national_id',
      'national_id',
      'driving_licence',
      'residence_permit',
    ]);
    return [{ type, number: this.documentNumber(type, issuingCountry, name), issuingCountry }];
  }

  private documentNumber(type: DocumentType, country: string, name: PersonName): string {
    const r = this.random;
    if (type === 'passport') {
      if (country === 'GB') return r.digits(9);
      if (country === 'DE') return `C${r.letters(8, GERMAN_ID_ALPHABET)}`;
      if (country === 'FR') return `${r.digits(2)}${r.letters(2)}${r.digits(5)}`;
      return `${r.letters(2)}${r.digits(7)}`;
    }
    if (type === 'national_id') {
      if (country === 'ES') {
        const n = r.int(10_000_000, 99_999_999);
        return `${n}${SPANISH_ID_LETTERS[n % 23]}`;
      }
      if (country === 'DE') return `L${r.letters(8, GERMAN_ID_ALPHABET)}`;
      if (country === 'PL') return `${r.letters(3)}${r.digits(6)}`;
      if (country === 'FR') return r.digits(12);
      return `ID${r.digits(8)}`;
    }
    if (type === 'driving_licence' && country === 'GB') {
      const surname = asciiName(name.latinFamily).toUpperCase().padEnd(5, '9').slice(0, 5);
      const initials = asciiName(name.latinGiven).toUpperCase().padEnd(2, '9').slice(0, 2);
      return `${surname}${r.digits(6)}${initials}9${r.letters(2)}`;
    }
    return `${r.letters(2)}${r.digits(7)}`;
  }

  private insurance(): PatientData['insurance'] {
    const r = this.random;
    if (!r.chance(0.25)) return [];
    const payers = INSURERS[this.options.country] ?? INTERNATIONAL_INSURERS;
    const count = r.chance(0.1) ? 2 : 1;
    const out: PatientData['insurance'] = [];
    for (let i = 0; i < count; i++) {
      const from = this.todayDays - r.int(0, 5 * 365);
      out.push({
        payer: r.pick(i === 0 ? payers : INTERNATIONAL_INSURERS),
        memberNumber: `${r.letters(3)}${r.digits(8)}`,
        validFrom: isoDay(from),
        validTo: r.chance(0.6) ? isoDay(from + r.int(1, 3) * 365) : null,
      });
    }
    return out;
  }

  private alerts(age: number, female: boolean): PatientData['alerts'] {
    const r = this.random;
    const chance = age < 16 ? 0.08 : age < 60 ? 0.25 : 0.55;
    const out: PatientData['alerts'] = [];
    if (r.chance(chance)) {
      const count = r.chance(0.7) ? 1 : r.int(2, 3);
      const seen = new Set<string>();
      for (let i = 0; i < count; i++) {
        const [kind, description, severity] = r.pick(ALERTS);
        if (seen.has(description)) continue;
        seen.add(description);
        out.push({ kind, description, severity });
      }
    }
    if (female && age >= 18 && age <= 44 && r.chance(0.02)) {
      const [kind, description, severity] = PREGNANCY;
      out.push({ kind, description, severity });
    }
    return out;
  }
}

/** The communities the generator draws from, for tests and docs. */
export const SEED_CULTURES: readonly string[] = CULTURES.map((c) => c.id);

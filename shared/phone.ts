import {
  getCountryCallingCode,
  parsePhoneNumberWithError,
  type CountryCode,
} from 'libphonenumber-js';

export interface ParsedPhone {
  e164: string;
  national: string;
  international: string;
}

/** Parses a phone number typed in any common format; `defaultCountry` applies to national numbers. */
export function parsePhone(raw: string, defaultCountry: string): ParsedPhone | null {
  try {
    const parsed = parsePhoneNumberWithError(raw, defaultCountry.toUpperCase() as CountryCode);
    if (!parsed.isValid()) return null;
    return {
      e164: parsed.number,
      national: parsed.formatNational(),
      international: parsed.formatInternational(),
    };
  } catch {
    return null;
  }
}

/** Formats a stored E.164 number for display in the clinic's country. */
export function formatPhone(e164: string, clinicCountry: string): string {
  const parsed = parsePhone(e164, clinicCountry);
  if (!parsed) return e164;
  try {
    const p = parsePhoneNumberWithError(e164);
    // Compare calling codes, not countries: +44 7911 is Guernsey, yet dialled 07911 from London.
    const home = getCountryCallingCode(clinicCountry.toUpperCase() as CountryCode);
    return p.countryCallingCode === home ? parsed.national : parsed.international;
  } catch {
    return e164;
  }
}

/**
 * Digit strings under which a number can be found by type-ahead: the E.164 digits, the national
 * significant number and the national dialling form (with its trunk prefix, e.g. a leading 0).
 */
export function phoneSearchKeys(e164: string): string[] {
  const keys = new Set<string>([e164.replace(/\D/g, '')]);
  try {
    const p = parsePhoneNumberWithError(e164);
    keys.add(p.nationalNumber);
    keys.add(p.formatNational().replace(/\D/g, ''));
  } catch {
    // keep the E.164 digits only
  }
  return [...keys].filter((k) => k.length > 0);
}

import { phoneSearchKeys } from '../../../shared/phone';
import type { Random } from './random';

/**
 * Number plans for realistic phone numbers, from allocated mobile and geographic ranges that
 * libphonenumber-js accepts as valid (the UK drama range 07700 900xxx, for one, is not). Every
 * range here yields numbers of exactly one country (no Crown-dependency or shared prefixes).
 * These are real ranges: a seeded store must never be connected to a live SMS or calling gateway.
 */
interface Range {
  kind: 'mobile' | 'landline';
  /** Leading digits of the national significant number. */
  leads: readonly string[];
  /** Length of the national significant number. */
  length: number;
  /** How staff group the digits when they type the national form (trunk prefix included). */
  groups: readonly number[];
}

interface NumberPlan {
  country: string;
  callingCode: string;
  /** Dialled before national numbers (and dropped in E.164). */
  trunk: string;
  ranges: readonly Range[];
}

const range = (
  kind: Range['kind'],
  leads: string,
  length: number,
  groups: readonly number[],
): Range => ({ kind, leads: leads.split(' '), length, groups });

const PLANS: readonly NumberPlan[] = [
  {
    country: 'GB',
    callingCode: '44',
    trunk: '0',
    ranges: [
      range(
        'mobile',
        '740 741 742 743 748 749 751 753 754 756 757 758 759 772 773 774 775 776 777 780 781 784 785 786 787 788 789 790 792 794 795 796 797 798 799',
        10,
        [5, 6],
      ),
      range('landline', '203 207 208', 10, [3, 4, 4]),
      range('landline', '1612 1613 1614 1618', 10, [4, 3, 4]),
    ],
  },
  {
    country: 'IE',
    callingCode: '353',
    trunk: '0',
    ranges: [range('mobile', '83 85 86 87 89', 9, [3, 3, 4])],
  },
  {
    country: 'DE',
    callingCode: '49',
    trunk: '0',
    ranges: [
      range('mobile', '151 152 157 159 176 177 178 179', 11, [4, 8]),
      range('mobile', '160 162 163 170 171 172 173 174 175', 10, [4, 7]),
      range('landline', '30', 10, [3, 8]),
    ],
  },
  {
    country: 'FR',
    callingCode: '33',
    trunk: '0',
    ranges: [
      range('mobile', '60 61 62 63 64 65 66 67 68 69 73 74 75 76 77 78', 9, [2, 2, 2, 2, 2]),
      range('landline', '14 15 16 17', 9, [2, 2, 2, 2, 2]),
    ],
  },
  {
    country: 'ES',
    callingCode: '34',
    trunk: '',
    ranges: [
      range('mobile', '60 61 62 63 64 65 66 67 68 69 71 72 73 74', 9, [3, 3, 3]),
      range('landline', '91', 9, [2, 3, 2, 2]),
    ],
  },
  {
    country: 'PL',
    callingCode: '48',
    trunk: '',
    ranges: [range('mobile', '50 51 53 57 60 66 69 72 73 78 79 88', 9, [3, 3, 3])],
  },
  {
    country: 'RU',
    callingCode: '7',
    trunk: '8',
    ranges: [
      range('mobile', '90 91 92 93 95 96 98', 10, [1, 3, 3, 2, 2]),
      range('landline', '495 499', 10, [1, 3, 3, 2, 2]),
    ],
  },
  {
    country: 'TR',
    callingCode: '90',
    trunk: '0',
    ranges: [
      range('mobile', '50 53 54 55', 10, [4, 3, 2, 2]),
      range('landline', '212 216', 10, [4, 3, 2, 2]),
    ],
  },
  {
    country: 'VN',
    callingCode: '84',
    trunk: '0',
    ranges: [range('mobile', '90 91 93 94 96 97 98 32 33 34 35 36 37 38 39', 9, [4, 3, 3])],
  },
  {
    country: 'NG',
    callingCode: '234',
    trunk: '0',
    ranges: [range('mobile', '803 805 806 807 810 813 816 703 706 708', 10, [4, 3, 4])],
  },
  {
    country: 'IN',
    callingCode: '91',
    trunk: '0',
    ranges: [range('mobile', '70 73 77 78 79 90 91 93 94 96 98 99', 10, [6, 5])],
  },
  {
    country: 'GR',
    callingCode: '30',
    trunk: '',
    ranges: [range('mobile', '690 693 694 695 697 698 699', 10, [3, 3, 4])],
  },
  {
    country: 'US',
    callingCode: '1',
    trunk: '',
    ranges: [
      range(
        'mobile',
        '2122 2123 2124 2125 2126 2127 2128 2129 4152 4153 4154 4156 4157 4158 4159 6172 6173 6174 6175 6176 6177 3122 3123 3124 3126 3127 3128',
        10,
        [3, 3, 4],
      ),
    ],
  },
];

const PLAN_BY_COUNTRY = new Map(PLANS.map((p) => [p.country, p]));

/** Countries whose numbers the generator can make. */
export const PHONE_COUNTRIES: readonly string[] = PLANS.map((p) => p.country);

export function hasNumberPlan(country: string): boolean {
  return PLAN_BY_COUNTRY.has(country);
}

export interface GeneratedPhone {
  /** As a receptionist might type it: national for the clinic's country, else international. */
  typed: string;
  e164: string;
  /** Equal to `phoneSearchKeys(e164)`, without libphonenumber's per-number cost. */
  searchKeys: string[];
}

/**
 * The national dialling form differs from trunk + number in some countries; it is learnt once per
 * range from libphonenumber itself, so the search keys match `phoneSearchKeys` exactly.
 */
const nationalPrefixCache = new Map<Range, string>();

function nationalPrefix(plan: NumberPlan, r: Range, nsn: string): string {
  let prefix = nationalPrefixCache.get(r);
  if (prefix === undefined) {
    prefix = '';
    for (const key of phoneSearchKeys(`+${plan.callingCode}${nsn}`)) {
      if (key !== nsn && key !== plan.callingCode + nsn && key.endsWith(nsn))
        prefix = key.slice(0, key.length - nsn.length);
    }
    nationalPrefixCache.set(r, prefix);
  }
  return prefix;
}

function group(digits: string, sizes: readonly number[], separator: string): string {
  const parts: string[] = [];
  let at = 0;
  for (const size of sizes) {
    if (at >= digits.length) break;
    parts.push(digits.slice(at, at + size));
    at += size;
  }
  if (at < digits.length) parts.push(digits.slice(at));
  return parts.join(separator);
}

/**
 * A phone number of `numberCountry` (a country with a plan), typed as staff in `clinicCountry`
 * would type it.
 */
export function generatePhone(
  random: Random,
  numberCountry: string,
  clinicCountry: string,
  kind: Range['kind'],
): GeneratedPhone {
  const plan = PLAN_BY_COUNTRY.get(numberCountry) ?? PLAN_BY_COUNTRY.get('GB')!;
  const ranges = plan.ranges.filter((r) => r.kind === kind);
  const r = random.pick(ranges.length > 0 ? ranges : plan.ranges);
  const lead = random.pick(r.leads);
  const nsn = lead + random.digits(r.length - lead.length);
  const e164 = `+${plan.callingCode}${nsn}`;
  const ccNsn = plan.callingCode + nsn;
  const searchKeys = [...new Set([ccNsn, nsn, nationalPrefix(plan, r, nsn) + nsn])];
  let typed: string;
  if (plan.country === clinicCountry && random.chance(0.85)) {
    const national = plan.trunk + nsn;
    typed = random.chance(0.7)
      ? group(national, r.groups, random.chance(0.9) ? ' ' : '-')
      : national;
  } else {
    const first = (r.groups[0] ?? nsn.length) - plan.trunk.length;
    const sizes = first > 0 ? [first, ...r.groups.slice(1)] : r.groups.slice(1);
    typed = `+${plan.callingCode} ${group(nsn, sizes, ' ')}`;
  }
  return { typed, e164, searchKeys };
}

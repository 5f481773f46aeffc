import type { Random } from './random';

/** Patients live near their clinic: addresses follow the clinic's country. */
export interface SeedAddress {
  line1: string;
  line2: string | null;
  city: string;
  region: string | null;
  postalCode: string;
  country: string;
}

interface AddressStyle {
  streets: readonly string[];
  cities: ReadonlyArray<
    readonly [city: string, region: string | null, postcode: (r: Random) => string]
  >;
  /** House number before the street (en) or after it (most of Europe). */
  numberFirst: boolean;
  flat: (r: Random) => string;
}

const GB_INWARD = 'ABDEFGHJLNPQRSTUWXYZ';

const gb = (outward: readonly string[]) => (r: Random) =>
  `${r.pick(outward)} ${r.int(1, 9)}${r.letters(2, GB_INWARD)}`;

function makeStyle(country: string): AddressStyle {
  switch (country) {
    case 'GB':
      return {
        streets: [
          'High Street',
          'Station Road',
          'Church Lane',
          'Victoria Road',
          'Green Lane',
          'Manor Road',
          'Park Avenue',
          'Queen’s Road',
          'St John’s Close',
          'Mill Lane',
          'Kingsway',
          'Albert Street',
          'Ladbroke Grove',
          'Holloway Road',
          'Stoke Newington Church Street',
        ],
        cities: [
          ['London', null, gb(['N1', 'N7', 'N16', 'E8', 'E17', 'SE15', 'SW11', 'W12', 'NW5'])],
          ['Manchester', null, gb(['M1', 'M14', 'M20', 'M21'])],
          ['Birmingham', 'West Midlands', gb(['B5', 'B13', 'B29'])],
          ['Leeds', 'West Yorkshire', gb(['LS6', 'LS8'])],
          ['Cardiff', null, gb(['CF10', 'CF24'])],
        ],
        numberFirst: true,
        flat: (rr) => `Flat ${rr.int(1, 40)}`,
      };
    case 'IE':
      return {
        streets: [
          'Main Street',
          'Church Road',
          'Sráid an Mhuilinn',
          'Bóthar na Trá',
          'Dame Street',
        ],
        cities: [
          ['Dublin', 'County Dublin', (r) => `D0${r.int(1, 8)} ${r.letters(1)}${r.digits(3)}`],
          ['Cork', 'County Cork', (r) => `T12 ${r.letters(1)}${r.digits(3)}`],
          ['Galway', 'County Galway', (r) => `H91 ${r.letters(1)}${r.digits(3)}`],
        ],
        numberFirst: true,
        flat: (rr) => `Apartment ${rr.int(1, 60)}`,
      };
    case 'DE':
      return {
        streets: [
          'Hauptstraße',
          'Schulstraße',
          'Gartenstraße',
          'Bahnhofstraße',
          'Lindenallee',
          'Am Mühlbach',
        ],
        cities: [
          ['Berlin', 'Berlin', (r) => `1${r.int(0, 4)}${r.digits(3)}`],
          ['München', 'Bayern', (r) => `8${r.int(0, 1)}${r.digits(3)}`],
          ['Köln', 'Nordrhein-Westfalen', (r) => `50${r.digits(3)}`],
          ['Düsseldorf', 'Nordrhein-Westfalen', (r) => `40${r.digits(3)}`],
        ],
        numberFirst: false,
        flat: (rr) => `${rr.int(1, 5)}. OG`,
      };
    case 'FR':
      return {
        streets: [
          'rue de la Paix',
          'avenue Jean Jaurès',
          'rue Victor Hugo',
          'boulevard Saint-Michel',
          'place de l’Église',
        ],
        cities: [
          ['Paris', 'Île-de-France', (r) => `750${String(r.int(1, 20)).padStart(2, '0')}`],
          ['Lyon', 'Auvergne-Rhône-Alpes', (r) => `6900${r.int(1, 9)}`],
          [
            'Marseille',
            'Provence-Alpes-Côte d’Azur',
            (r) => `130${String(r.int(1, 16)).padStart(2, '0')}`,
          ],
        ],
        numberFirst: true,
        flat: (rr) => `Bâtiment ${rr.letters(1, 'ABCD')}`,
      };
    case 'ES':
      return {
        streets: [
          'Calle Mayor',
          'Calle de Alcalá',
          'Avenida de la Constitución',
          'Plaza de España',
          'Calle del Río',
        ],
        cities: [
          ['Madrid', 'Madrid', (r) => `280${String(r.int(1, 55)).padStart(2, '0')}`],
          ['Barcelona', 'Cataluña', (r) => `080${String(r.int(1, 42)).padStart(2, '0')}`],
          ['Sevilla', 'Andalucía', (r) => `410${String(r.int(1, 20)).padStart(2, '0')}`],
        ],
        numberFirst: false,
        flat: (rr) => `${rr.int(1, 8)}º ${rr.letters(1, 'ABCD')}`,
      };
    case 'PL':
      return {
        streets: [
          'ul. Marszałkowska',
          'ul. Długa',
          'ul. Świętokrzyska',
          'al. Jerozolimskie',
          'ul. Żeromskiego',
        ],
        cities: [
          ['Warszawa', 'mazowieckie', (r) => `0${r.int(0, 4)}-${r.digits(3)}`],
          ['Kraków', 'małopolskie', (r) => `3${r.int(0, 1)}-${r.digits(3)}`],
          ['Gdańsk', 'pomorskie', (r) => `80-${r.digits(3)}`],
        ],
        numberFirst: false,
        flat: (rr) => `m. ${rr.int(1, 80)}`,
      };
    case 'US':
      return {
        streets: ['Main Street', 'Oak Avenue', 'Maple Drive', 'Washington Boulevard', 'Elm Street'],
        cities: [
          ['New York', 'NY', (r) => `100${r.digits(2)}`],
          ['Boston', 'MA', (r) => `021${r.digits(2)}`],
          ['San Francisco', 'CA', (r) => `941${r.digits(2)}`],
        ],
        numberFirst: true,
        flat: (rr) => `Apt ${rr.int(1, 30)}${rr.letters(1, 'ABCD')}`,
      };
    default:
      return {
        streets: ['Central Street', 'Market Square', 'Harbour Road', 'Park Lane'],
        cities: [['Centre', null, (r) => r.digits(5)]],
        numberFirst: true,
        flat: (rr) => `Unit ${rr.int(1, 30)}`,
      };
  }
}

const styles = new Map<string, AddressStyle>();

export function generateAddress(r: Random, country: string): SeedAddress {
  let s = styles.get(country);
  if (!s) {
    s = makeStyle(country);
    styles.set(country, s);
  }
  const [city, region, postcode] = r.pick(s.cities);
  const street = r.pick(s.streets);
  const number = String(r.int(1, 240));
  return {
    line1: s.numberFirst ? `${number} ${street}` : `${street} ${number}`,
    line2: r.chance(0.2) ? s.flat(r) : null,
    city,
    region,
    postalCode: postcode(r),
    country,
  };
}

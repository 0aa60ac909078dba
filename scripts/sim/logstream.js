#!/usr/bin/env node
'use strict';
// A simulated Auth0 log stream, for evaluating detection (scripts/evaluate-logs):
//
//   node scripts/sim/logstream.js --seed 1 --size small --out /tmp/logs.ndjson
//     [--truth /tmp/logs.truth.json] [--orgs 200] [--days 4] [--scale 1]
//
// Writes JSON lines in Auth0's custom-webhook form (`{"log_id", "data": {...}}`, the log
// as auth0/auth0-log-schemas describes it) and, next to them, the ground truth: the
// planted campaigns (kind, the subjects an alert on them may name, the window) and the
// benign look-alikes (subjects on which any alert is a false one). Deterministic: the
// same seed and size give the same bytes (a seeded PRNG, fixed dates).
//
// Assumptions (each a knob below; none is a measurement of real traffic):
// - A multi-organization B2B tenant: `orgs` organizations (Auth0 Organizations), each a
//   company in one city with 5 to 600 employees (heavy-tailed), a database or an
//   enterprise connection, a share of users enrolled in MFA (push, SMS or OTP), an
//   office network (a NAT: one address for everybody in the office) for 70% of them,
//   one of three shared SaaS applications, and for 40% a machine-to-machine client
//   (a nightly batch from a hosting network, or an hourly sync). 3% of users
//   (consultants) are members of a second organization and log in to both.
// - People work on weekdays (85% of them a day; 12% at weekends), one to three
//   interactive logins between 08:00 and 19:00 local time, from the office, home (a
//   residential ISP, 25% on IPv6) or their phone (a mobile carrier's CGNAT: a few
//   addresses shared by everybody on it in that city). 3.5% of database logins are
//   preceded by one wrong password, 1.5% by two (people mistyping twice), 0.3% by an
//   unknown user name (a typo in the email). MFA logins send a push or an SMS first
//   (a slow phone sometimes gets two or three; 1% reject one by mistake). Single-page
//   applications renew sessions silently (`ssa`) and fail silently when the session
//   is gone (`fsa`), and 5% of organizations run a misconfigured one that fails silently
//   on every page.
// - A consumer application (no organization) takes sign-ups all day (55% free mail,
//   43% other domains, 1.5% disposable), 6% failing (user exists, weak password).
// - Benign look-alikes, each labelled in the ground truth: every office NAT (the
//   largest one named), people mistyping twice, the nightly M2M batches, a
//   misconfigured SPA's `fsa` storm, a university's CGNAT carrying students of many
//   organizations (a few addresses, thousands of logins, some failing), a product
//   launch (thousands of consumer sign-ups within two hours from many networks), a
//   company onboarding its staff from its office, and another (remote-first) from its
//   people's homes, an identity provider's outage (an
//   hour of failed enterprise logins, `f`, from an office), and travellers flying between
//   continents (logins, some through a VPN, moving at about 600-800 km/h).
// - Planted campaigns (the attacks detection must find):
//   * credential stuffing bursts: one address, and three addresses of one hosting /24,
//     trying hundreds of leaked email/password pairs of users of many organizations in
//     under an hour (70% real users: `fp`, the rest `fu`), Auth0 blocking the address
//     once (`limit_mu`), sometimes one guess working (`s`);
//   * low-and-slow spraying under Auth0's per-account thresholds (no account sees more
//     than two failures) over 12 to 22 hours, from 10 to 40 addresses of one /24, and of
//     one IPv6 /48;
//   * breached passwords: logins blocked as leaked (`pwd_leak`), a sign-up
//     (`signup_pwd_leak`) and a reset (`reset_pwd_leak`) with a leaked password;
//   * MFA bombing: 8 to 20 pushes to one user, 10% to 60% of them rejected (victims
//     differ), half the time one accepted in the end; SMS sent to one user with wrong
//     codes entered;
//   * impossible travel: a consultant's login to one organization at home, then one to
//     another organization from another continent within 15 to 90 minutes;
//   * sign-up waves: bots from one hosting /24 (many domains, a quarter failing),
//     bots behind residential proxies using disposable domains (10 to 40 of them), and
//     bots behind residential proxies with a catch-all domain of their own;
//   * M2M: a client's secret used from a new network, and a burst of failed exchanges.
// - The stream repeats 0.4% of lines a few hundred lines later (at-least-once delivery)
//   and carries a few malformed lines. All domains are under `.example` except the
//   free-mail and disposable providers (which detection classifies); addresses are
//   made up from public-looking prefixes.

const fs = require('node:fs');
const path = require('node:path');

// ---------------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------------

const SIZES = {
  // ~10k events: a small tenant.
  tiny: { orgs: 12, days: 3, scale: 0.3 },
  // ~50k events: the test suite's run.
  small: { orgs: 40, days: 3, scale: 0.5 },
  // ~0.5M events.
  medium: { orgs: 200, days: 4, scale: 1 },
  // ~1.5M events.
  large: { orgs: 200, days: 7, scale: 1.5 },
};

function parseArgs(argv) {
  /** @type {Record<string, string>} */
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value`);
    o[a.slice(2)] = v;
    i++;
  }
  const size = o.size ?? 'small';
  if (!SIZES[size]) throw new Error(`--size is one of ${Object.keys(SIZES).join(', ')}`);
  const num = (k, d) => {
    if (o[k] === undefined) return d;
    const n = Number(o[k]);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${k} must be a positive number`);
    return n;
  };
  const base = SIZES[size];
  const out = o.out;
  if (!out) throw new Error('--out <file.ndjson> is required');
  for (const k of Object.keys(o)) if (!['seed', 'size', 'out', 'truth', 'orgs', 'days', 'scale'].includes(k)) throw new Error(`unknown option --${k}`);
  return {
    seed: Math.floor(num('seed', 1)),
    size,
    // At least ten: a tenant with fewer has no room for every look-alike and campaign.
    orgs: Math.max(10, Math.floor(num('orgs', base.orgs))),
    days: Math.max(3, Math.floor(num('days', base.days))),
    scale: num('scale', base.scale),
    out,
    truth: o.truth ?? out.replace(/(\.ndjson)?$/, '.truth.json'),
  };
}

// ---------------------------------------------------------------------------------------
// Randomness
// ---------------------------------------------------------------------------------------

/** @param {number} seed */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random source with helpers; `fork(label)` gives an independent stream. */
function makeRng(seed) {
  const next = mulberry32(seed);
  const r = {
    next,
    /** @param {number} n */
    int: (n) => Math.floor(next() * n),
    /** @param {number} lo @param {number} hi inclusive */
    range: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    /** @param {number} p */
    chance: (p) => next() < p,
    /** @template T @param {T[]} xs @returns {T} */
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    /** @template T @param {[T, number][]} choices @returns {T} */
    weighted: (choices) => {
      const total = choices.reduce((n, [, w]) => n + w, 0);
      let x = next() * total;
      for (const [v, w] of choices) {
        x -= w;
        if (x < 0) return v;
      }
      return choices[choices.length - 1][0];
    },
    /** @template T @param {T[]} xs @returns {T[]} */
    shuffle: (xs) => {
      const a = [...xs];
      for (let i = a.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [a[i], a[j]] = [a[j], a[i]];
      }
      return a;
    },
    /** @param {number} n @param {string} alphabet */
    chars: (n, alphabet) => {
      let s = '';
      for (let i = 0; i < n; i++) s += alphabet[Math.floor(next() * alphabet.length)];
      return s;
    },
    /** @param {string} label */
    fork: (label) => {
      let h = seed >>> 0;
      for (const c of label) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
      return makeRng(h ^ Math.floor(next() * 4294967296));
    },
  };
  return r;
}

const HEX = '0123456789abcdef';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

// ---------------------------------------------------------------------------------------
// Places and networks
// ---------------------------------------------------------------------------------------

// code, country, country3, country name, city, lat, lon, time zone, continent, UTC offset
// in November 2026 (hours), weight (where companies are).
const CITY_ROWS = [
  ['NYC', 'US', 'USA', 'United States', 'New York', 40.7128, -74.006, 'America/New_York', 'NA', -5, 10],
  ['SFO', 'US', 'USA', 'United States', 'San Francisco', 37.7749, -122.4194, 'America/Los_Angeles', 'NA', -8, 6],
  ['CHI', 'US', 'USA', 'United States', 'Chicago', 41.8781, -87.6298, 'America/Chicago', 'NA', -6, 5],
  ['SEA', 'US', 'USA', 'United States', 'Seattle', 47.6062, -122.3321, 'America/Los_Angeles', 'NA', -8, 3],
  ['TOR', 'CA', 'CAN', 'Canada', 'Toronto', 43.6532, -79.3832, 'America/Toronto', 'NA', -5, 4],
  ['MEX', 'MX', 'MEX', 'Mexico', 'Mexico City', 19.4326, -99.1332, 'America/Mexico_City', 'NA', -6, 2],
  ['SAO', 'BR', 'BRA', 'Brazil', 'Sao Paulo', -23.5505, -46.6333, 'America/Sao_Paulo', 'SA', -3, 3],
  ['BUE', 'AR', 'ARG', 'Argentina', 'Buenos Aires', -34.6037, -58.3816, 'America/Argentina/Buenos_Aires', 'SA', -3, 1],
  ['LON', 'GB', 'GBR', 'United Kingdom', 'London', 51.5072, -0.1276, 'Europe/London', 'EU', 0, 8],
  ['MAN', 'GB', 'GBR', 'United Kingdom', 'Manchester', 53.4808, -2.2426, 'Europe/London', 'EU', 0, 2],
  ['DUB', 'IE', 'IRL', 'Ireland', 'Dublin', 53.3498, -6.2603, 'Europe/Dublin', 'EU', 0, 2],
  ['PAR', 'FR', 'FRA', 'France', 'Paris', 48.8566, 2.3522, 'Europe/Paris', 'EU', 1, 5],
  ['LYS', 'FR', 'FRA', 'France', 'Lyon', 45.764, 4.8357, 'Europe/Paris', 'EU', 1, 1],
  ['BER', 'DE', 'DEU', 'Germany', 'Berlin', 52.52, 13.405, 'Europe/Berlin', 'EU', 1, 4],
  ['MUC', 'DE', 'DEU', 'Germany', 'Munich', 48.1351, 11.582, 'Europe/Berlin', 'EU', 1, 3],
  ['FRA', 'DE', 'DEU', 'Germany', 'Frankfurt', 50.1109, 8.6821, 'Europe/Berlin', 'EU', 1, 2],
  ['AMS', 'NL', 'NLD', 'Netherlands', 'Amsterdam', 52.3676, 4.9041, 'Europe/Amsterdam', 'EU', 1, 3],
  ['MAD', 'ES', 'ESP', 'Spain', 'Madrid', 40.4168, -3.7038, 'Europe/Madrid', 'EU', 1, 3],
  ['MIL', 'IT', 'ITA', 'Italy', 'Milan', 45.4642, 9.19, 'Europe/Rome', 'EU', 1, 2],
  ['STO', 'SE', 'SWE', 'Sweden', 'Stockholm', 59.3293, 18.0686, 'Europe/Stockholm', 'EU', 1, 2],
  ['WAW', 'PL', 'POL', 'Poland', 'Warsaw', 52.2297, 21.0122, 'Europe/Warsaw', 'EU', 1, 2],
  ['ZRH', 'CH', 'CHE', 'Switzerland', 'Zurich', 47.3769, 8.5417, 'Europe/Zurich', 'EU', 1, 1],
  ['LOS', 'NG', 'NGA', 'Nigeria', 'Lagos', 6.5244, 3.3792, 'Africa/Lagos', 'AF', 1, 1],
  ['JNB', 'ZA', 'ZAF', 'South Africa', 'Johannesburg', -26.2041, 28.0473, 'Africa/Johannesburg', 'AF', 2, 1],
  ['DXB', 'AE', 'ARE', 'United Arab Emirates', 'Dubai', 25.2048, 55.2708, 'Asia/Dubai', 'AS', 4, 1],
  ['BOM', 'IN', 'IND', 'India', 'Mumbai', 19.076, 72.8777, 'Asia/Kolkata', 'AS', 5.5, 3],
  ['BLR', 'IN', 'IND', 'India', 'Bangalore', 12.9716, 77.5946, 'Asia/Kolkata', 'AS', 5.5, 3],
  ['SIN', 'SG', 'SGP', 'Singapore', 'Singapore', 1.3521, 103.8198, 'Asia/Singapore', 'AS', 8, 2],
  ['TYO', 'JP', 'JPN', 'Japan', 'Tokyo', 35.6762, 139.6503, 'Asia/Tokyo', 'AS', 9, 3],
  ['SEL', 'KR', 'KOR', 'South Korea', 'Seoul', 37.5665, 126.978, 'Asia/Seoul', 'AS', 9, 2],
  ['SYD', 'AU', 'AUS', 'Australia', 'Sydney', -33.8688, 151.2093, 'Australia/Sydney', 'OC', 11, 2],
  ['MEL', 'AU', 'AUS', 'Australia', 'Melbourne', -37.8136, 144.9631, 'Australia/Melbourne', 'OC', 11, 1],
];
const CITIES = CITY_ROWS.map(([code, cc, cc3, country, city, lat, lon, tz, continent, offset, weight]) => ({
  code,
  offset: Number(offset),
  weight: Number(weight),
  lat: Number(lat),
  lon: Number(lon),
  info: { country_code: cc, country_code3: cc3, country_name: country, city_name: city, latitude: lat, longitude: lon, time_zone: tz, continent_code: continent },
}));
const CITY = Object.fromEntries(CITIES.map((c) => [c.code, c]));
const HOSTING_CITIES = ['NYC', 'SFO', 'FRA', 'AMS', 'LON', 'SIN', 'TYO', 'SAO'];

// First octets of public, routed IPv4 space (none private, shared, reserved or multicast).
const PUBLIC_FIRST = [
  23, 24, 31, 37, 46, 62, 66, 71, 73, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 98, 99, 108, 109, 141, 146, 151, 176, 178, 185, 188, 189, 190,
  200, 201, 212, 213, 217,
];

/** The great-circle midpoint of two places. */
function midpoint(a, b) {
  const rad = Math.PI / 180;
  const [la1, lo1, la2] = [a.lat * rad, a.lon * rad, b.lat * rad];
  const dLon = (b.lon - a.lon) * rad;
  const bx = Math.cos(la2) * Math.cos(dLon);
  const by = Math.cos(la2) * Math.sin(dLon);
  const lat = Math.atan2(Math.sin(la1) + Math.sin(la2), Math.sqrt((Math.cos(la1) + bx) ** 2 + by ** 2));
  const lon = lo1 + Math.atan2(by, Math.cos(la1) + bx);
  return { lat: lat / rad, lon: ((((lon / rad + 540) % 360) + 360) % 360) - 180 };
}

function haversineKm(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * The address plan: ISPs per country (IPv4 /16s, an IPv6 /32), a mobile carrier per
 * country (CGNAT: a few addresses per city), hosting providers, business networks.
 * Every address handed out is unique and geolocated (a city, with a small offset).
 */
function makeNetworks(rng) {
  const used16 = new Set();
  const used = new Set();
  /** @type {Map<string, object>} */
  const geo = new Map();
  const fresh16 = () => {
    for (;;) {
      const p = `${rng.pick(PUBLIC_FIRST)}.${rng.int(256)}`;
      if (!used16.has(p)) {
        used16.add(p);
        return p;
      }
    }
  };
  const hex4 = () => (0x1000 + rng.int(0xefff)).toString(16);
  const v6prefixes = new Set();
  const fresh32 = () => {
    for (;;) {
      const p = `2a0${rng.range(1, 9)}:${hex4()}`;
      if (!v6prefixes.has(p)) {
        v6prefixes.add(p);
        return p;
      }
    }
  };
  /** Geolocation of an address: the city's centre moved by up to ~5 km. */
  const locate = (ip, city) => {
    const info = { ...city.info, latitude: round4(city.lat + (rng.next() - 0.5) * 0.08), longitude: round4(city.lon + (rng.next() - 0.5) * 0.08) };
    geo.set(ip, info);
    return ip;
  };
  const used24 = new Set();
  // /24s that hold home subscribers: never handed out whole.
  const home24 = new Set();
  /** A /24 of one of these /16s that no one was given yet. */
  const fresh24 = (of16) => {
    for (;;) {
      const p = `${rng.pick(of16)}.${rng.int(256)}`;
      if (!used24.has(p) && !home24.has(p)) {
        used24.add(p);
        return p;
      }
    }
  };
  const take = (make) => {
    for (;;) {
      const ip = make();
      if (!used.has(ip)) {
        used.add(ip);
        return ip;
      }
    }
  };
  const countries = [...new Set(CITIES.map((c) => c.info.country_code))];
  /** @type {Record<string, {v4: string[], v6: string}[]>} */
  const isps = {};
  /** @type {Record<string, string>} */
  const carrier = {};
  for (const cc of countries) {
    isps[cc] = Array.from({ length: 3 }, () => ({ v4: [fresh16(), fresh16(), fresh16()], v6: fresh32() }));
    carrier[cc] = fresh16();
  }
  /** @type {Record<string, string[]>} */
  const cgnat = {};
  const hosting = Array.from({ length: 6 }, () => ({ v4: [fresh16(), fresh16(), fresh16(), fresh16()], city: CITY[rng.pick(HOSTING_CITIES)] }));
  const business = [fresh16(), fresh16(), fresh16(), fresh16(), fresh16(), fresh16()];
  const net = {
    geo,
    /** A home subscriber's address in a city: IPv4 (75%) or an IPv6 /56's (a random /48 of the ISP). */
    residential(city, v6share = 0.25) {
      const isp = rng.pick(isps[city.info.country_code]);
      if (rng.chance(v6share))
        return locate(
          take(() => `${isp.v6}:${hex4()}:${(rng.range(1, 255) << 8).toString(16)}:${hex4()}:${hex4()}:${hex4()}:${hex4()}`),
          city,
        );
      // Not in a /24 handed out whole (a CGNAT's, a data centre's, an office's).
      return locate(
        take(() => {
          for (;;) {
            const p = `${rng.pick(isp.v4)}.${rng.int(256)}`;
            if (!used24.has(p)) {
              home24.add(p);
              return `${p}.${rng.range(1, 254)}`;
            }
          }
        }),
        city,
      );
    },
    /** The mobile carrier's CGNAT addresses in a city: four addresses of one /24, shared. */
    mobile(city) {
      if (!cgnat[city.code]) {
        const p = fresh24([carrier[city.info.country_code]]);
        cgnat[city.code] = Array.from({ length: 4 }, (_, i) =>
          locate(
            take(() => `${p}.${10 + i * 17}`),
            city,
          ),
        );
      }
      return rng.pick(cgnat[city.code]);
    },
    /** The CGNAT addresses handed out so far, by city. */
    cgnats: () => cgnat,
    /** A fresh /24 of a hosting provider (a data centre's addresses), `n` addresses of it. */
    hostingNet(n, city) {
      const h = rng.pick(hosting);
      const p = fresh24(h.v4);
      const at = city ?? h.city;
      const hosts = rng.shuffle(Array.from({ length: 250 }, (_, i) => i + 2)).slice(0, n);
      return {
        cidr: `${p}.0/24`,
        ips: hosts.map((x) =>
          locate(
            take(() => `${p}.${x}`),
            at,
          ),
        ),
      };
    },
    /** A business line's /24 (offices, universities), `n` addresses of it. */
    businessNet(n, city) {
      const p = fresh24(business);
      const hosts = rng.shuffle(Array.from({ length: 250 }, (_, i) => i + 2)).slice(0, n);
      return {
        cidr: `${p}.0/24`,
        ips: hosts.map((x) =>
          locate(
            take(() => `${p}.${x}`),
            city,
          ),
        ),
      };
    },
    /** A fresh IPv6 /48 of a hosting provider, `n` addresses of it (one /64 each). */
    hostingNet6(n, city) {
      const p = `${fresh32()}:${hex4()}`;
      const ips = Array.from({ length: n }, () =>
        locate(
          take(() => `${p}:${hex4()}:${hex4()}:${hex4()}:${hex4()}:${hex4()}`),
          city,
        ),
      );
      return { cidr: `${p}::/48`, ips };
    },
  };
  return net;
}

const round4 = (x) => Math.round(x * 10000) / 10000;

/** The /24 or /48 of an address, as the core writes it. */
function networkOf(ip) {
  if (ip.includes(':')) {
    const g = ip.split(':');
    return `${g
      .slice(0, 3)
      .map((x) => Number.parseInt(x, 16).toString(16))
      .join(':')}::/48`;
  }
  return `${ip.split('.').slice(0, 3).join('.')}.0/24`;
}

// ---------------------------------------------------------------------------------------
// Organizations, people, applications
// ---------------------------------------------------------------------------------------

const FIRST = [
  'ana',
  'ben',
  'chen',
  'dana',
  'emil',
  'fatima',
  'gus',
  'hana',
  'ivan',
  'jo',
  'kemal',
  'lena',
  'mo',
  'nora',
  'omar',
  'pia',
  'raj',
  'sara',
  'tom',
  'uma',
  'vik',
  'wen',
  'yara',
  'zoe',
];
const LAST = [
  'alvarez',
  'baker',
  'costa',
  'dubois',
  'eriksen',
  'fischer',
  'garcia',
  'hughes',
  'ito',
  'jones',
  'keller',
  'lopez',
  'mensah',
  'novak',
  'okafor',
  'park',
  'quinn',
  'rossi',
  'singh',
  'tanaka',
];
const SYLLABLES = [
  'ac',
  'bel',
  'cor',
  'dyn',
  'ex',
  'fin',
  'gal',
  'hel',
  'ion',
  'jun',
  'kor',
  'lum',
  'mer',
  'nov',
  'orb',
  'pax',
  'quo',
  'ros',
  'sol',
  'ter',
  'ul',
  'vex',
  'wyn',
  'zen',
];
const SUFFIX = ['ware', 'labs', 'tech', 'corp', 'works', 'soft', 'group', 'systems', 'health', 'bank', 'logistics', 'media'];
const AGENTS = [
  'Chrome 130.0.0 / Mac OS X 10.15.7',
  'Chrome 131.0.0 / Windows 10.0.0',
  'Firefox 132.0.0 / Windows 10.0.0',
  'Edge 130.0.0 / Windows 10.0.0',
  'Safari 18.1.0 / Mac OS X 10.15.7',
  'Chrome 131.0.0 / Linux 0.0.0',
];
const MOBILE_AGENTS = ['Mobile Safari 18.1.0 / iOS 18.1.0', 'Chrome Mobile 130.0.0 / Android 14.0.0'];
const BOT_AGENTS = ['python-requests 2.31.0 / Other 0.0.0', 'Go-http-client 1.1.0 / Other 0.0.0', 'Chrome 118.0.0 / Linux 0.0.0', 'HeadlessChrome 120.0.0 / Linux 0.0.0'];
const ENTERPRISE = [
  { strategy: 'okta', prefix: 'okta' },
  { strategy: 'waad', prefix: 'waad' },
  { strategy: 'samlp', prefix: 'samlp' },
  { strategy: 'oidc', prefix: 'oidc' },
  { strategy: 'google-apps', prefix: 'google-apps' },
];
const FREE_MAIL = [
  ['gmail.com', 50],
  ['outlook.com', 8],
  ['hotmail.com', 7],
  ['yahoo.com', 10],
  ['icloud.com', 10],
  ['gmx.de', 4],
  ['web.de', 3],
  ['orange.fr', 3],
  ['proton.me', 3],
  ['aol.com', 2],
];
// The popular throwaway inboxes some genuine people use.
const POPULAR_DISPOSABLE = ['mailinator.com', 'guerrillamail.com', '10minutemail.com', 'yopmail.com', 'temp-mail.org'];

function makeTenant(rng, net, cfg) {
  const tenant = 'actionguard-sim';
  const hostname = `${tenant}.eu.auth0.test`;
  const apps = [
    { id: rng.chars(32, ALNUM), name: 'Customer Portal' },
    { id: rng.chars(32, ALNUM), name: 'Analytics Dashboard' },
    { id: rng.chars(32, ALNUM), name: 'Field Service' },
  ];
  const consumerApp = { id: rng.chars(32, ALNUM), name: 'Consumer App' };
  const db = { name: 'Username-Password-Authentication', id: `con_${rng.chars(16, ALNUM)}`, strategy: 'auth0', type: 'database' };
  const names = new Set();
  const orgs = [];
  const cityChoices = CITIES.map((c) => [c, c.weight]);
  for (let i = 0; i < cfg.orgs; i++) {
    let name;
    do name = `${rng.pick(SYLLABLES)}${rng.pick(SYLLABLES)}${rng.pick(SUFFIX)}`;
    while (names.has(name));
    names.add(name);
    const r = rng.next();
    const employees = Math.max(3, Math.round((r < 0.6 ? rng.range(5, 30) : r < 0.9 ? rng.range(30, 120) : rng.range(120, 600)) * cfg.scale));
    const city = rng.weighted(cityChoices);
    const enterprise = rng.chance(0.5) ? rng.pick(ENTERPRISE) : null;
    const connection = enterprise
      ? { name: `${name}-${enterprise.strategy}`, id: `con_${rng.chars(16, ALNUM)}`, strategy: enterprise.strategy, type: 'enterprise', prefix: enterprise.prefix }
      : db;
    const org = {
      id: `org_${rng.chars(16, ALNUM)}`,
      name,
      domain: `${name}.example`,
      city,
      employees,
      connection,
      app: rng.pick(apps),
      mfaShare: rng.pick([0, 0.2, 0.5, 0.8, 1]),
      office: rng.chance(0.7) ? net.businessNet(1, city).ips[0] : null,
      noisySpa: rng.chance(0.05),
      users: /** @type {any[]} */ ([]),
      m2m: /** @type {any} */ (null),
    };
    if (rng.chance(0.4)) {
      const nightly = rng.chance(0.5);
      const where = nightly || !org.office ? net.hostingNet(rng.range(1, 3), CITY[rng.pick(HOSTING_CITIES)]) : { cidr: networkOf(org.office), ips: [org.office] };
      org.m2m = { id: rng.chars(32, ALNUM), name: `${name} ${nightly ? 'nightly ETL' : 'directory sync'}`, nightly, ips: where.ips, cidr: where.cidr, org };
    }
    orgs.push(org);
  }
  // People.
  const users = [];
  const userIds = new Set();
  for (const org of orgs) {
    for (let n = 0; n < org.employees; n++) {
      const first = rng.pick(FIRST);
      const last = rng.pick(LAST);
      const email = `${first}.${last}${n}@${org.domain}`;
      const c = org.connection;
      let id;
      do id = c.type === 'database' ? `auth0|${rng.chars(24, HEX)}` : c.strategy === 'google-apps' ? `google-apps|${email}` : `${c.prefix}|${c.name}|${rng.chars(20, ALNUM)}`;
      while (userIds.has(id));
      userIds.add(id);
      // 80% live in the company's city, the rest elsewhere in its country (or abroad: 5%).
      const sameCountry = CITIES.filter((x) => x.info.country_code === org.city.info.country_code);
      const home = rng.chance(0.8) ? org.city : rng.chance(0.75) ? rng.pick(sameCountry) : rng.pick(CITIES);
      const enrolled = rng.chance(org.mfaShare);
      const user = {
        id,
        email,
        org,
        orgs: [org],
        home,
        homeIp: net.residential(home),
        ua: rng.pick(AGENTS),
        phoneUa: rng.pick(MOBILE_AGENTS),
        factor: enrolled
          ? rng.weighted([
              ['push', 70],
              ['sms', 20],
              ['otp', 10],
            ])
          : null,
        officeBased: org.office !== null && home === org.city && rng.chance(0.7),
        activity: rng.range(1, 3),
      };
      org.users.push(user);
      users.push(user);
    }
  }
  // Consultants: members of a second organization.
  for (const user of users) {
    if (rng.chance(0.03)) {
      const other = rng.pick(orgs);
      if (other !== user.org) user.orgs.push(other);
    }
  }
  return { tenant, hostname, apps, consumerApp, db, orgs, users };
}

// ---------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------

const DESCRIPTIONS = {
  s: 'Successful login',
  ssa: 'Successful silent authentication',
  fsa: 'Login required',
  f: 'Unauthorized',
  fp: 'Wrong email or password.',
  fu: 'Wrong email or password.',
  ss: '',
  fs: 'The user already exists.',
  slo: 'User successfully logged out',
  seccft: 'Client Credentials for Access Token',
  feccft: 'Unauthorized',
  gd_send_pn: 'Push notification sent',
  gd_send_sms: 'SMS sent',
  gd_auth_succeed: 'Second factor authentication succeeded',
  gd_auth_rejected: 'Push notification rejected by the user',
  gd_auth_failed: 'Wrong OTP.',
  pwd_leak: 'Leaked password detected',
  signup_pwd_leak: 'Leaked password detected at signup',
  reset_pwd_leak: 'Leaked password detected at password reset',
  limit_wc: 'Too many failed login attempts for this account. Blocked from IP.',
  limit_mu: 'An IP address is blocked because it attempted too many failed logins without a successful login.',
};
// Types whose logs carry the organization (Guardian's, leak and limit logs do not).
const ORG_TYPES = new Set(['s', 'f', 'fp', 'fu', 'fsa', 'ssa', 'ss', 'fs', 'slo', 'seccft', 'feccft']);
const GUARDIAN = new Set(['gd_send_pn', 'gd_send_sms', 'gd_auth_succeed', 'gd_auth_rejected', 'gd_auth_failed']);

/**
 * An event as the simulation makes it (compact; the log is rendered when written).
 * @typedef {{ ms: number, type: string, ip: string, user?: any, name?: string, uid?: string, org?: any, app?: any,
 *   ua?: string, mfa?: boolean, m2m?: any, desc?: string, connection?: any }} Ev
 */

function makeRenderer(tenant, net, rng) {
  const iso = (ms) => new Date(ms).toISOString();
  /** @param {Ev} e */
  return (e) => {
    /** @type {Record<string, any>} */
    const log = { date: iso(e.ms), type: e.type, description: e.desc ?? DESCRIPTIONS[e.type] ?? '' };
    const org = e.org;
    if (e.m2m) {
      const c = e.m2m;
      Object.assign(log, {
        client_id: c.id,
        client_name: c.name,
        ip: e.ip,
        user_agent: 'Other 0.0.0 / Other 0.0.0',
        details: e.type === 'feccft' ? { client_authentication_error: 'invalid_client_secret' } : undefined,
        hostname: tenant.hostname,
        user_id: '',
        user_name: '',
        audience: `https://api.${c.org.domain}/`,
        scope: 'read:reports write:reports',
        organization_id: c.org.id,
        organization_name: c.org.name,
      });
    } else {
      const user = e.user;
      const conn = e.connection ?? user?.org.connection ?? tenant.db;
      const guardian = GUARDIAN.has(e.type);
      if (!guardian) {
        const app = e.app ?? org?.app ?? tenant.consumerApp;
        log.client_id = app.id;
        log.client_name = app.name;
        log.connection = conn.name;
        log.connection_id = conn.id;
        log.strategy = conn.strategy;
        log.strategy_type = conn.type;
      }
      log.ip = e.ip;
      log.user_agent = e.ua ?? user?.ua;
      log.hostname = tenant.hostname;
      log.user_id = e.uid ?? user?.id ?? '';
      log.user_name = e.name ?? user?.email ?? '';
      if (org && ORG_TYPES.has(e.type)) {
        log.organization_id = org.id;
        log.organization_name = org.name;
      }
      log.details = detailsOf(e, log, conn, rng);
    }
    log.$event_schema = { version: '1.0.0' };
    log.tenant_name = tenant.tenant;
    log.environment_name = 'prod-eu-2';
    log.is_mobile = /Mobile|iOS|Android/.test(log.user_agent ?? '');
    const where = net.geo.get(e.ip);
    if (where) log.location_info = where;
    for (const key of Object.keys(log)) if (log[key] === undefined) delete log[key];
    return log;
  };
}

function detailsOf(e, log, conn, rng) {
  const ms = e.ms;
  switch (e.type) {
    case 's': {
      const session = rng.chars(32, ALNUM);
      const prompts = [
        {
          name: 'prompt-authenticate',
          completedAt: ms - 4000,
          connection: conn.name,
          connection_id: conn.id,
          strategy: conn.strategy,
          identity: String(log.user_id).split('|').pop(),
          stats: { loginsCount: 3 + rng.int(200) },
          elapsedTime: 2100 + rng.int(4000),
          session_id: session,
          performed_amr: conn.type === 'database' ? ['pwd'] : ['federated'],
        },
      ];
      if (e.mfa)
        prompts.push({
          name: 'mfa',
          flow: 'mfa',
          initiatedAt: ms - 3000,
          completedAt: ms - 400,
          user_id: log.user_id,
          provider: 'guardian',
          performed_amr: ['mfa'],
          session_id: session,
          elapsedTime: 2600,
        });
      prompts.push({
        name: 'login',
        flow: 'universal-login',
        initiatedAt: ms - 9000,
        completedAt: ms - 200,
        user_id: log.user_id,
        user_name: log.user_name,
        elapsedTime: 8800,
        session_id: session,
      });
      const details = { prompts, initiatedAt: ms - 9100, completedAt: ms, elapsedTime: 9100, session_id: session, stats: { loginsCount: 3 + rng.int(200) } };
      if (log.organization_id) details.organization = { id: log.organization_id, name: log.organization_name };
      return details;
    }
    case 'f':
      return { error: { message: 'access_denied', oauthError: 'access_denied' } };
    case 'fp':
    case 'fu':
      return { error: { message: 'Wrong email or password.' } };
    case 'fsa':
      return { error: { message: 'Login required', oauthError: 'login_required' }, session: { cookie: { mode: 'non-persistent' } } };
    case 'ssa':
      return { session_id: rng.chars(32, ALNUM) };
    case 'ss':
    case 'fs':
      return { body: { email: log.user_name, connection: conn.name, tenant: log.tenant_name } };
    case 'slo':
      return { session_id: rng.chars(32, ALNUM), return_to: `https://${e.org?.name ?? 'app'}.example/` };
    case 'pwd_leak':
    case 'signup_pwd_leak':
    case 'reset_pwd_leak':
      return { error: { message: 'Password has been leaked and a different one needs to be used.' } };
    case 'limit_mu':
      return { error: { message: 'Too many failed logins from this IP address.' } };
    default:
      if (GUARDIAN.has(e.type)) {
        const device = `dev_${rng.chars(16, ALNUM)}`;
        const type = e.type === 'gd_send_sms' || (e.type === 'gd_auth_failed' && e.desc) ? 'sms' : 'push';
        return { device_id: device, authenticator: { id: `${type}|${device}`, type }, enrollment: { _id: device, user_id: log.user_id, name: 'Phone' }, first_factor: false };
      }
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// Ordinary work
// ---------------------------------------------------------------------------------------

const HOUR = 3_600_000;
const MIN = 60_000;
const DAY = 86_400_000;

/**
 * One user's interactive login at `ms`, with what comes before (typos, MFA) and
 * after (silent renewals, a logout). `o.lookalike` collects the mistyping-twice users.
 */
function login(out, rng, user, ms, ip, ua, o = {}) {
  const org = o.org ?? user.org;
  const base = { ip, user, org, ua };
  const database = user.org.connection.type === 'database';
  let t = ms;
  const r = rng.next();
  if (database && r < 0.0005 && !o.noMfa) {
    // Someone who forgot their password hammers it ten times: Auth0 blocks the account
    // from that address (`limit_wc`), and they give up for now.
    for (let i = 0; i < 10; i++) out.push({ ...base, ms: t + i * rng.range(4, 15) * 1000, type: 'fp' });
    out.push({ ...base, ms: t + 160_000, type: 'limit_wc' });
    return t + 160_000;
  }
  if (database && r < 0.015) {
    // Mistyping twice, then getting it right.
    out.push({ ...base, ms: t, type: 'fp' }, { ...base, ms: t + rng.range(5, 20) * 1000, type: 'fp' });
    t += rng.range(25, 60) * 1000;
    o.onTwice?.(user, ip, ms);
  } else if (database && r < 0.05) {
    out.push({ ...base, ms: t, type: 'fp' });
    t += rng.range(8, 30) * 1000;
  } else if (database && r < 0.053) {
    // A typo in the email: an unknown user.
    const typo = user.email.replace('@', rng.pick(['', 'x', '.']) === '' ? '@@' : `${rng.pick(['x', 'q'])}@`).replace('@@', '@');
    out.push({ ...base, ms: t, type: 'fu', uid: '', name: typo });
    t += rng.range(10, 40) * 1000;
  } else if (!database && r < 0.005) {
    out.push({ ...base, ms: t, type: 'f' });
    t += rng.range(20, 90) * 1000;
  }
  let mfa = false;
  if (user.factor && !o.noMfa) {
    mfa = true;
    const g = { ip, user, ua: user.phoneUa };
    if (user.factor === 'push') {
      const p = rng.next();
      if (p < 0.01) {
        // Rejected by mistake, then a second push accepted.
        out.push({ ...g, ms: t, type: 'gd_send_pn' }, { ...g, ms: t + 6000, type: 'gd_auth_rejected' }, { ...g, ms: t + 20000, type: 'gd_send_pn' });
        t += 26000;
      } else if (p < 0.04) {
        // A slow phone: two or three pushes before one gets through.
        const n = rng.range(2, 3);
        for (let i = 0; i < n; i++) out.push({ ...g, ms: t + i * 25000, type: 'gd_send_pn' });
        t += n * 25000;
      } else {
        out.push({ ...g, ms: t, type: 'gd_send_pn' });
        t += rng.range(4, 15) * 1000;
      }
      out.push({ ...g, ms: t, type: 'gd_auth_succeed' });
    } else if (user.factor === 'sms') {
      out.push({ ...g, ms: t, type: 'gd_send_sms' });
      t += rng.range(15, 40) * 1000;
      if (rng.chance(0.05)) {
        out.push({ ...g, ms: t, type: 'gd_auth_failed', desc: 'Wrong OTP.' });
        t += 15000;
      }
      out.push({ ...g, ms: t, type: 'gd_auth_succeed' });
    } else {
      if (rng.chance(0.04)) {
        out.push({ ...g, ms: t, type: 'gd_auth_failed' });
        t += 12000;
      }
      out.push({ ...g, ms: t, type: 'gd_auth_succeed' });
    }
    t += 2000;
  }
  out.push({ ...base, ms: t, type: 's', mfa });
  return t;
}

function ordinaryDay(out, rng, world, day, look) {
  const { tenant, net } = world;
  const dayStart = world.start + day * DAY;
  const weekday = new Date(dayStart).getUTCDay();
  const workday = weekday >= 1 && weekday <= 5;
  for (const user of tenant.users) {
    if (user.traveller) continue;
    if (!rng.chance(workday ? 0.85 : 0.12)) continue;
    const inOffice = workday && user.officeBased && rng.chance(0.6);
    const sessions = rng.range(1, user.activity);
    for (let s = 0; s < sessions; s++) {
      const localHour = 8 + rng.next() * 11;
      const ms = Math.floor(dayStart + (localHour - user.home.offset) * HOUR);
      const mobile = !inOffice && rng.chance(0.15);
      const ip = inOffice ? user.org.office : mobile ? net.mobile(user.home) : user.homeIp;
      const ua = mobile ? user.phoneUa : user.ua;
      const org = user.orgs.length > 1 && rng.chance(0.3) ? user.orgs[1] : user.org;
      const end = login(out, rng, user, ms, ip, ua, { org, onTwice: look.twice });
      // Silent renewals while the session lasts; a silent failure when it has gone.
      const renewals = rng.range(0, 4);
      for (let i = 1; i <= renewals; i++) out.push({ ms: end + i * rng.range(20, 50) * MIN, type: 'ssa', ip, user, org, ua });
      if (rng.chance(0.5)) out.push({ ms: end + (renewals + 1) * 55 * MIN + rng.int(10 * MIN), type: 'fsa', ip, user, org, ua, uid: '', name: '' });
      if (rng.chance(0.3)) out.push({ ms: end + rng.range(60, 240) * MIN, type: 'slo', ip, user, org, ua });
      // A misconfigured SPA fails silently on every page.
      if (user.org.noisySpa) {
        for (let i = 0, n = rng.range(10, 40); i < n; i++) out.push({ ms: end + rng.int(6 * HOUR), type: 'fsa', ip, user, org, ua, uid: '', name: '' });
      }
    }
  }
  // M2M: nightly batches at 02:00 local; hourly syncs.
  for (const org of tenant.orgs) {
    const c = org.m2m;
    if (!c) continue;
    if (c.nightly) {
      const begin = dayStart + (2 - org.city.offset) * HOUR + rng.int(20 * MIN);
      const n = Math.round(rng.range(100, 1500) * world.cfg.scale);
      const span = rng.range(15, 40) * MIN;
      for (let i = 0; i < n; i++) {
        const ms = begin + Math.floor((i / n) * span);
        const broken = c.rotated && ms >= c.rotated[0] && ms < c.rotated[1];
        out.push({ ms, type: broken || rng.chance(0.0008) ? 'feccft' : 'seccft', ip: rng.pick(c.ips), m2m: c });
      }
    } else {
      for (let h = 0; h < 24; h++) {
        const ms = dayStart + h * HOUR + rng.int(5 * MIN);
        const broken = c.rotated && ms >= c.rotated[0] && ms < c.rotated[1];
        out.push({ ms, type: broken ? 'feccft' : 'seccft', ip: rng.pick(c.ips), m2m: c });
      }
    }
  }
  // The consumer application: sign-ups all day, peaking in the (UTC) afternoon.
  const perHour = Math.max(2, Math.round(20 * world.cfg.scale));
  for (let h = 0; h < 24; h++) {
    const n = Math.round(perHour * (0.3 + 0.7 * Math.sin((Math.PI * h) / 24)));
    for (let i = 0; i < n; i++) {
      const city = rng.pick(CITIES);
      consumerSignup(out, rng, world, dayStart + h * HOUR + rng.int(HOUR), rng.chance(0.05) ? net.mobile(city) : net.residential(city, 0.3));
    }
  }
}

/** A person signing up to the consumer application, and logging in right after. */
function consumerSignup(out, rng, world, ms, ip) {
  const domain = consumerDomain(rng);
  const email = `${rng.pick(FIRST)}${rng.pick(['.', '_', ''])}${rng.pick(LAST)}${rng.int(10000)}@${domain}`;
  const ua = rng.chance(0.4) ? rng.pick(MOBILE_AGENTS) : rng.pick(AGENTS);
  const app = world.tenant.consumerApp;
  if (rng.chance(0.06)) {
    out.push({ ms, type: 'fs', ip, ua, name: email, uid: '', app, desc: rng.pick(['The user already exists.', 'PasswordStrengthError: Password is too weak']) });
    return;
  }
  const uid = `auth0|${rng.chars(24, HEX)}`;
  out.push({ ms, type: 'ss', ip, ua, name: email, uid, app });
  out.push({ ms: ms + rng.range(5, 60) * 1000, type: 's', ip, ua, name: email, uid, app, connection: world.tenant.db });
}

function consumerDomain(rng) {
  const r = rng.next();
  if (r < 0.55) return rng.weighted(FREE_MAIL);
  if (r < 0.985) return `${rng.pick(SYLLABLES)}${rng.pick(SYLLABLES)}${rng.pick(['mail', 'net', 'home', 'family', 'studio'])}.example`;
  return rng.pick(POPULAR_DISPOSABLE);
}

// ---------------------------------------------------------------------------------------
// Benign look-alikes (beyond what ordinary work already holds)
// ---------------------------------------------------------------------------------------

function lookalikes(out, rng, world, look) {
  const { tenant, net, cfg } = world;
  const last = cfg.days - 1;
  // Every office NAT; the largest named.
  const offices = tenant.orgs.filter((o) => o.office);
  const largest = [...offices].sort((a, b) => b.employees - a.employees)[0];
  look.add('office_nat', largest ? `the office NAT of ${largest.id} (${largest.employees} employees), and every other office` : 'no office NAT', [
    ...offices.flatMap((o) => [
      { type: 'ip', value: o.office },
      { type: 'network', value: networkOf(o.office) },
    ]),
  ]);
  // The nightly batches.
  const nightly = tenant.orgs.filter((o) => o.m2m?.nightly).map((o) => o.m2m);
  look.add(
    'nightly_m2m_batch',
    `${nightly.length} nightly machine-to-machine batches`,
    nightly.map((c) => ({ type: 'client', value: c.id })),
  );
  // A misconfigured SPA's storm: one organization's users failing silently, thousands an hour.
  {
    const busy = tenant.orgs.filter((o) => o.users.length >= 10);
    const org = rng.pick(busy.length > 0 ? busy : tenant.orgs);
    const day = rng.range(1, last);
    const at = world.start + day * DAY + (10 - org.city.offset) * HOUR;
    const subjects = [];
    for (const user of org.users) {
      const ip = user.officeBased && org.office ? org.office : user.homeIp;
      subjects.push({ type: 'ip', value: ip }, { type: 'network', value: networkOf(ip) }, { type: 'user', value: user.id });
      for (let i = 0, n = rng.range(30, 80); i < n; i++) out.push({ ms: at + rng.int(HOUR), type: 'fsa', ip, user, org, ua: user.ua, uid: '', name: '' });
    }
    look.add('silent_auth_noise', `a misconfigured SPA of ${org.id}: ${org.users.length} users failing silent authentication for an hour`, subjects, at, at + HOUR);
  }
  // An identity provider's outage: for an hour one organization's enterprise logins all
  // fail (`f`), from its office and from home; people retry two or three times.
  {
    const big = offices.filter((o) => o.connection.type === 'enterprise').sort((a, b) => b.employees - a.employees);
    const org = big[0];
    if (org) {
      const day = rng.range(1, last);
      const at = world.start + day * DAY + (9 - org.city.offset) * HOUR;
      const subjects = [
        { type: 'ip', value: org.office },
        { type: 'network', value: networkOf(org.office) },
      ];
      for (const user of org.users) {
        if (!rng.chance(0.8)) continue;
        const ip = user.officeBased ? org.office : user.homeIp;
        const t = at + rng.int(HOUR - 5 * MIN);
        for (let i = 0, n = rng.range(1, 3); i < n; i++) out.push({ ms: t + i * rng.range(20, 90) * 1000, type: 'f', ip, user, org, ua: user.ua });
        if (!user.officeBased) subjects.push({ type: 'ip', value: ip });
      }
      look.add('idp_outage', `${org.id}'s identity provider down for an hour: its ${org.users.length} people's logins fail (f)`, subjects, at, at + HOUR);
    }
  }
  // A university CGNAT: four addresses of one /24 carrying students of many  // A university CGNAT: four addresses of one /24 carrying students of many
  // organizations' applications; they log in all day and some mistype.
  {
    const city = CITY.BOM;
    const campus = net.businessNet(4, city);
    const students = Math.round(600 * cfg.scale);
    const databases = tenant.orgs.filter((o) => o.connection.type === 'database');
    const orgs = rng.shuffle(databases.length > 0 ? databases : tenant.orgs).slice(0, 30);
    const people = Array.from({ length: students }, (_, i) => {
      const org = orgs[i % orgs.length];
      return {
        id: `auth0|${rng.chars(24, HEX)}`,
        email: `student${i}.${rng.pick(LAST)}@${org.domain}`,
        org,
        orgs: [org],
        home: city,
        ua: rng.pick([...AGENTS, ...MOBILE_AGENTS]),
        phoneUa: rng.pick(MOBILE_AGENTS),
        factor: null,
      };
    });
    for (let day = 0; day < cfg.days; day++) {
      for (const p of people) {
        for (let s = 0, n = rng.range(0, 3); s < n; s++) {
          const ms = Math.floor(world.start + day * DAY + (8 + rng.next() * 14 - city.offset) * HOUR);
          const ip = rng.pick(campus.ips);
          login(out, rng, p, ms, ip, p.ua, { onTwice: look.twice });
          if (rng.chance(0.3)) out.push({ ms: ms + rng.range(10, 90) * MIN, type: 'fsa', ip, user: p, org: p.org, ua: p.ua, uid: '', name: '' });
        }
      }
    }
    look.add('cgnat', `a university CGNAT (${campus.cidr}, 4 addresses) carrying ${students} students of ${orgs.length} organizations`, [
      { type: 'network', value: campus.cidr },
      ...campus.ips.map((ip) => ({ type: 'ip', value: ip })),
    ]);
  }
  // A product launch: thousands of sign-ups to the consumer app within two hours, from everywhere.
  {
    const day = rng.range(1, last);
    const at = world.start + day * DAY + 15 * HOUR;
    const n = Math.round(rng.range(1500, 3000) * cfg.scale);
    for (let i = 0; i < n; i++) {
      const city = rng.pick(CITIES);
      const ip = rng.chance(0.05) ? net.mobile(city) : net.residential(city, 0.3);
      consumerSignup(out, rng, world, at + Math.floor(rng.next() ** 1.5 * 2 * HOUR), ip);
    }
    look.add(
      'product_launch',
      `a product launch: ${n} consumer sign-ups within two hours from many networks`,
      [{ type: 'domain_class', value: 'disposable' }, ...FREE_MAIL.map(([d]) => ({ type: 'domain', value: d })), ...POPULAR_DISPOSABLE.map((d) => ({ type: 'domain', value: d }))],
      at,
      at + 2 * HOUR,
      { anySignupWave: true },
    );
  }
  // A company onboarding its staff from its office: one domain, one network, all succeeding.
  {
    const org = offices.length > 0 ? rng.pick(offices) : null;
    const day = rng.range(1, last);
    const at = world.start + day * DAY + (9 - (org?.city.offset ?? 0)) * HOUR;
    const n = org ? rng.range(30, 80) : 0;
    for (let i = 0; i < n; i++) {
      const email = `new.hire${i}@${org.domain}`;
      out.push({ ms: at + rng.int(90 * MIN), type: 'ss', ip: org.office, org, ua: rng.pick(AGENTS), name: email, uid: `auth0|${rng.chars(24, HEX)}`, connection: tenant.db });
    }
    if (org) {
      look.add('office_onboarding', `${org.id} onboarding ${n} employees from its office`, [
        { type: 'network', value: networkOf(org.office) },
        { type: 'ip', value: org.office },
        { type: 'domain', value: org.domain },
      ]);
    }
  }
  // A remote-first company onboarding its staff: invitations accepted from home within
  // two hours, one domain, many networks (the sign-ups carry the organization).
  {
    const remote = tenant.orgs.filter((o) => !o.office);
    const org = remote.length > 0 ? rng.pick(remote) : tenant.orgs[0];
    const day = rng.range(1, last);
    const at = world.start + day * DAY + (9 - org.city.offset) * HOUR;
    const n = Math.round(rng.range(60, 150) * Math.max(0.5, cfg.scale));
    for (let i = 0; i < n; i++) {
      const home = rng.chance(0.8) ? org.city : rng.pick(CITIES.filter((c) => c.info.country_code === org.city.info.country_code));
      const email = `invitee${i}@${org.domain}`;
      out.push({
        ms: at + rng.int(2 * HOUR),
        type: 'ss',
        ip: net.residential(home),
        org,
        ua: rng.pick(AGENTS),
        name: email,
        uid: `auth0|${rng.chars(24, HEX)}`,
        connection: tenant.db,
      });
    }
    look.add('remote_onboarding', `${org.id} onboarding ${n} employees from their homes (invitations)`, [{ type: 'domain', value: org.domain }]);
  }
  // Travellers: logins at home, at the airport, in flight through the company VPN, and on arrival.
  {
    const routes = [
      ['FRA', 'NYC'],
      ['LON', 'SIN'],
      ['SFO', 'TYO'],
      ['PAR', 'SAO'],
    ];
    const candidates = rng.shuffle(tenant.users.filter((u) => u.orgs.length === 1));
    for (let k = 0; k < 2; k++) {
      const user = candidates[k];
      const [fromCode, toCode] = rng.pick(routes);
      const from = CITY[fromCode];
      const to = CITY[toCode];
      const km = haversineKm(from, to);
      const speed = rng.range(600, 800);
      const day = rng.range(1, last);
      const depart = world.start + day * DAY + (9 - user.home.offset) * HOUR;
      const flight = (km / speed) * HOUR;
      user.traveller = true;
      const vpnFrom = net.hostingNet(1, from).ips[0];
      const mid = midpoint(from, to);
      const vpnMid = net.hostingNet(1, { ...from, ...mid, info: { ...to.info, city_name: 'In flight' } }).ips[0];
      const vpnTo = net.hostingNet(1, to).ips[0];
      const ua = user.ua;
      login(out, rng, user, depart - 2 * HOUR, vpnFrom, ua, { noMfa: true });
      login(out, rng, user, depart - 30 * MIN, vpnFrom, ua, { noMfa: true });
      login(out, rng, user, depart + flight / 2, vpnMid, ua, { noMfa: true });
      login(out, rng, user, depart + flight + 45 * MIN, vpnTo, ua, { noMfa: true });
      look.add('traveller', `${user.id} flying ${from.info.city_name} to ${to.info.city_name} (${Math.round(km)} km at ${speed} km/h) through the company VPN`, [
        { type: 'user', value: user.id },
      ]);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Planted campaigns
// ---------------------------------------------------------------------------------------

function campaigns(out, rng, world, truth) {
  const { tenant, net, cfg } = world;
  const last = cfg.days - 1;
  const dbOrgs = tenant.orgs.filter((o) => o.connection.type === 'database' && o.users.length > 0);
  const dbUsers = dbOrgs.flatMap((o) => o.users).filter((u) => !u.traveller);
  const used = new Set();
  // Someone not in another campaign (or anyone, in a tenant too small for that).
  const fresh = (pool) => {
    for (let tries = 0; tries < 10_000; tries++) {
      const u = rng.pick(pool);
      if (!used.has(u)) {
        used.add(u);
        return u;
      }
    }
    return rng.pick(pool);
  };
  // A campaign starts by 21:00 UTC, so that it ends before the stream does (the longest
  // start within the hour after and last under two hours).
  const dayAt = (d, hourUtc) => world.start + d * DAY + Math.min(Math.max(hourUtc, 0), 21) * HOUR;
  const attackerCity = () => CITY[rng.pick(['LOS', 'SAO', 'SIN', 'BOM', 'MEX', 'WAW', 'JNB'])];

  // Credential stuffing bursts: a list of leaked pairs, each tried once or twice.
  const stuffing = (label, nIps) => {
    const src = net.hostingNet(nIps, attackerCity());
    const targets = rng.shuffle(dbOrgs).slice(0, rng.range(Math.min(5, dbOrgs.length), Math.min(30, dbOrgs.length)));
    const attempts = Math.round(rng.range(150, 600) * Math.max(0.5, cfg.scale));
    const begin = dayAt(rng.range(1, last), rng.range(0, 22)) + rng.int(HOUR);
    const span = rng.range(15, 55) * MIN;
    const ua = rng.pick(BOT_AGENTS);
    const also = [];
    let blocked = false;
    let fails = 0;
    for (let i = 0; i < attempts; i++) {
      const ms = begin + Math.floor((i / attempts) * span);
      const org = rng.pick(targets);
      const ip = src.ips[i % src.ips.length];
      if (rng.chance(0.7) && org.users.length > 0) {
        const user = rng.pick(org.users);
        if (rng.chance(0.01)) {
          out.push({ ms, type: 'pwd_leak', ip, user, org, ua });
          also.push({ kind: 'breached_password', subject: { type: 'user', value: user.id } });
        } else {
          out.push({ ms, type: 'fp', ip, user, org, ua });
        }
      } else {
        out.push({ ms, type: 'fu', ip, org, ua, uid: '', name: `${rng.pick(FIRST)}${rng.int(1000)}@${org.domain}`, connection: tenant.db });
      }
      fails++;
      if (!blocked && fails >= 100) {
        blocked = true;
        out.push({ ms: ms + 500, type: 'limit_mu', ip, org, ua, uid: '', name: '' });
      }
    }
    if (rng.chance(0.5)) {
      // One guess worked: a user without MFA.
      const victim = rng.pick(targets.flatMap((o) => o.users).filter((u) => !u.factor && !used.has(u)));
      if (victim) {
        used.add(victim);
        out.push({ ms: begin + span + rng.int(5 * MIN), type: 's', ip: src.ips[0], user: victim, org: victim.org, ua, mfa: false });
        also.push({ kind: 'impossible_travel', subject: { type: 'user', value: victim.id } });
      }
    }
    truth.add('credential_stuffing', label, [...src.ips.map((ip) => ({ type: 'ip', value: ip })), { type: 'network', value: src.cidr }], begin, begin + span, {
      attempts,
      organizations: targets.length,
      also,
    });
  };
  stuffing('a burst from one hosting address', 1);
  stuffing('a burst rotating over three addresses of one hosting /24', 3);

  // Low-and-slow spraying: at most two failures an account, over most of a day.
  const spray = (label, v6) => {
    const nIps = rng.range(10, 40);
    const src = v6 ? net.hostingNet6(nIps, attackerCity()) : net.hostingNet(nIps, attackerCity());
    const accounts = Math.round(rng.range(40, 150) * Math.max(0.6, cfg.scale));
    const targets = rng.shuffle(dbOrgs).slice(0, Math.min(dbOrgs.length, rng.range(10, 40)));
    const begin = dayAt(rng.range(1, Math.max(1, last - 1)), rng.range(0, 12));
    const span = rng.range(12, 22) * HOUR;
    const ua = rng.pick(BOT_AGENTS);
    let n = 0;
    const events = [];
    for (let a = 0; a < accounts; a++) {
      const org = targets[a % targets.length];
      const real = org.users.length > 0 && rng.chance(0.75);
      const user = real ? rng.pick(org.users) : null;
      const tries = rng.chance(0.4) ? 2 : 1;
      for (let k = 0; k < tries; k++) {
        const ms = begin + Math.floor(rng.next() * span);
        const ip = rng.pick(src.ips);
        if (user) events.push({ ms, type: 'fp', ip, user, org, ua });
        else events.push({ ms, type: 'fu', ip, org, ua, uid: '', name: `${rng.pick(FIRST)}.${rng.pick(LAST)}@${org.domain}`, connection: tenant.db });
        n++;
      }
    }
    // No account sees more than two failures: a real user drawn twice keeps its first two.
    const perAccount = new Map();
    for (const e of events) {
      const key = e.user?.id ?? e.name;
      const k = (perAccount.get(key) ?? 0) + 1;
      perAccount.set(key, k);
      if (k <= 2) out.push(e);
    }
    truth.add('credential_stuffing', label, [{ type: 'network', value: src.cidr }, ...src.ips.map((ip) => ({ type: 'ip', value: ip }))], begin, begin + span, {
      low_and_slow: true,
      attempts: n,
      accounts,
      addresses: nIps,
      organizations: targets.length,
    });
  };
  spray('low-and-slow spraying from one IPv4 /24, at most two failures an account', false);
  spray('low-and-slow spraying from one IPv6 /48, at most two failures an account', true);

  // Breached passwords: logins blocked as leaked, a sign-up and a reset.
  for (let i = 0; i < 3; i++) {
    const user = fresh(dbUsers);
    const ms = dayAt(rng.range(1, last), 8 - user.home.offset + rng.next() * 9);
    out.push({ ms, type: 'pwd_leak', ip: user.homeIp, user, org: user.org });
    truth.add('breached_password', `a login of ${user.id} with a leaked password`, [{ type: 'user', value: user.id }], ms, ms);
  }
  {
    const ms = dayAt(rng.range(1, last), rng.range(0, 23));
    const email = `${rng.pick(FIRST)}.${rng.pick(LAST)}${rng.int(100)}@gmail.com`;
    out.push({ ms, type: 'signup_pwd_leak', ip: net.residential(rng.pick(CITIES)), name: email, uid: '', app: tenant.consumerApp });
    truth.add('breached_password', 'a sign-up with a leaked password', [{ type: 'user', value: email }], ms, ms);
    const user = fresh(dbUsers);
    const ms2 = dayAt(rng.range(1, last), rng.range(0, 23));
    out.push({ ms: ms2, type: 'reset_pwd_leak', ip: user.homeIp, user, org: user.org });
    truth.add('breached_password', `a password reset of ${user.id} to a leaked password`, [{ type: 'user', value: user.id }], ms2, ms2);
  }

  // MFA bombing: pushes to one user, and SMS to another.
  {
    const pushUsers = dbUsers.filter((u) => u.factor === 'push' && !used.has(u));
    const pool = pushUsers.length > 0 ? pushUsers : dbUsers;
    const victim = fresh(pool);
    const from = net.residential(attackerCity());
    const begin = dayAt(rng.range(1, last), rng.range(0, 23));
    const pushes = rng.range(8, 20);
    let t = begin;
    const accepts = rng.chance(0.5);
    // Victims differ: some reject most pushes, some ignore them.
    const rejects = rng.range(10, 60) / 100;
    for (let i = 0; i < pushes; i++) {
      t += rng.range(30, 90) * 1000;
      out.push({ ms: t, type: 'gd_send_pn', ip: from, user: victim, ua: rng.pick(AGENTS) });
      if (rng.chance(rejects)) out.push({ ms: t + rng.range(3, 20) * 1000, type: 'gd_auth_rejected', ip: net.mobile(victim.home), user: victim, ua: victim.phoneUa });
    }
    if (accepts) {
      out.push({ ms: t + 8000, type: 'gd_auth_succeed', ip: net.mobile(victim.home), user: victim, ua: victim.phoneUa });
      out.push({ ms: t + 10000, type: 's', ip: from, user: victim, org: victim.org, ua: rng.pick(AGENTS), mfa: true });
    }
    truth.add('mfa_fatigue', `push bombing of ${victim.id}: ${pushes} pushes${accepts ? ', the last accepted' : ''}`, [{ type: 'user', value: victim.id }], begin, t + 10000, {
      also: [{ kind: 'impossible_travel', subject: { type: 'user', value: victim.id } }],
    });
  }
  {
    const smsUsers = dbUsers.filter((u) => u.factor === 'sms' && !used.has(u));
    const victim = fresh(smsUsers.length > 0 ? smsUsers : dbUsers);
    const from = net.hostingNet(1, attackerCity()).ips[0];
    const begin = dayAt(rng.range(1, last), rng.range(0, 23));
    const n = rng.range(10, 25);
    let t = begin;
    for (let i = 0; i < n; i++) {
      t += rng.range(20, 60) * 1000;
      out.push({ ms: t, type: 'gd_send_sms', ip: from, user: victim, ua: rng.pick(BOT_AGENTS) });
      if (rng.chance(0.4)) out.push({ ms: t + 10000, type: 'gd_auth_failed', ip: from, user: victim, ua: rng.pick(BOT_AGENTS), desc: 'Wrong OTP.' });
    }
    truth.add('mfa_fatigue', `SMS bombing of ${victim.id}: ${n} messages`, [{ type: 'user', value: victim.id }], begin, t + 10000);
  }

  // Impossible travel across organizations: a consultant at home, then "them" on another continent.
  for (let i = 0; i < 2; i++) {
    const consultants = tenant.users.filter((u) => u.orgs.length > 1 && !used.has(u) && !u.traveller);
    const victim = fresh(consultants.length > 0 ? consultants : dbUsers);
    const far = rng.pick(CITIES.filter((c) => haversineKm(c, victim.home) > 4000));
    const ms = dayAt(rng.range(1, last), 9 - victim.home.offset + rng.next() * 6);
    const gap = rng.range(15, 90) * MIN;
    const other = victim.orgs[1] ?? victim.org;
    login(out, rng, victim, ms, victim.homeIp, victim.ua, { noMfa: !victim.factor });
    out.push({ ms: ms + gap, type: 's', ip: net.residential(far), user: victim, org: other, ua: rng.pick(AGENTS), mfa: false });
    truth.add(
      'impossible_travel',
      `${victim.id}: ${victim.home.info.city_name} (${victim.org.id}) then ${far.info.city_name} (${other.id}) ${Math.round(gap / MIN)} minutes later, ${Math.round(haversineKm(far, victim.home))} km`,
      [{ type: 'user', value: victim.id }],
      ms,
      ms + gap,
    );
  }

  // Sign-up waves: bots from one hosting /24; bots behind residential proxies with disposable domains.
  {
    const src = net.hostingNet(rng.range(2, 6), attackerCity());
    const n = rng.range(40, 150);
    const begin = dayAt(rng.range(1, last), rng.range(0, 23));
    const span = rng.range(20, 60) * MIN;
    const ua = rng.pick(BOT_AGENTS);
    for (let i = 0; i < n; i++) {
      const ms = begin + Math.floor((i / n) * span);
      const domain = rng.chance(0.6) ? rng.weighted(FREE_MAIL) : `${rng.chars(8, 'abcdefghijklmnopqrstuvwxyz')}.example`;
      const email = `${rng.chars(10, 'abcdefghijklmnopqrstuvwxyz0123456789')}@${domain}`;
      const ip = rng.pick(src.ips);
      if (rng.chance(0.25)) out.push({ ms, type: 'fs', ip, ua, name: email, uid: '', app: tenant.consumerApp, desc: 'The user already exists.' });
      else out.push({ ms, type: 'ss', ip, ua, name: email, uid: `auth0|${rng.chars(24, HEX)}`, app: tenant.consumerApp });
    }
    truth.add(
      'signup_wave',
      `${n} bot sign-ups from ${src.ips.length} addresses of ${src.cidr} in ${Math.round(span / MIN)} minutes`,
      [{ type: 'network', value: src.cidr }, ...src.ips.map((ip) => ({ type: 'ip', value: ip }))],
      begin,
      begin + span,
    );
  }
  {
    const domains = rng.shuffle(world.disposable).slice(0, rng.range(10, 40));
    const n = rng.range(60, 250);
    const begin = dayAt(rng.range(1, last), rng.range(0, 22));
    const span = rng.range(30, 120) * MIN;
    for (let i = 0; i < n; i++) {
      const ms = begin + Math.floor(rng.next() * span);
      const ip = net.residential(rng.pick(CITIES), 0.1);
      const email = `${rng.pick(FIRST)}${rng.int(100000)}@${rng.pick(domains)}`;
      out.push({ ms, type: 'ss', ip, ua: rng.pick(AGENTS), name: email, uid: `auth0|${rng.chars(24, HEX)}`, app: tenant.consumerApp });
    }
    truth.add(
      'signup_wave',
      `${n} sign-ups with ${domains.length} disposable domains from residential proxies in ${Math.round(span / MIN)} minutes`,
      [{ type: 'domain_class', value: 'disposable' }, ...domains.map((d) => ({ type: 'domain', value: d }))],
      begin,
      begin + span,
    );
  }

  // Bots with a catch-all domain of their own (past the throwaway lists), behind
  // residential proxies: one sign-up per address.
  {
    const domain = `${rng.chars(7, 'abcdefghijklmnopqrstuvwxyz')}mail.example`;
    const n = rng.range(40, 120);
    const begin = dayAt(rng.range(1, last), rng.range(0, 22));
    const span = rng.range(30, 90) * MIN;
    for (let i = 0; i < n; i++) {
      const ip = net.residential(rng.pick(CITIES), 0.1);
      out.push({
        ms: begin + Math.floor(rng.next() * span),
        type: 'ss',
        ip,
        ua: rng.pick(AGENTS),
        name: `${rng.chars(9, 'abcdefghijklmnopqrstuvwxyz0123456789')}@${domain}`,
        uid: `auth0|${rng.chars(24, HEX)}`,
        app: tenant.consumerApp,
      });
    }
    truth.add(
      'signup_wave',
      `${n} bot sign-ups with a catch-all domain (${domain}) from residential proxies in ${Math.round(span / MIN)} minutes`,
      [{ type: 'domain', value: domain }],
      begin,
      begin + span,
    );
  }

  // M2M: a client's secret used from a new network; another client's failure burst.
  const clients = rng.shuffle(tenant.orgs.filter((o) => o.m2m).map((o) => o.m2m));
  if (clients.length >= 2) {
    const leaked = clients[0];
    const src = net.hostingNet(1, attackerCity());
    const begin = dayAt(rng.range(2, last), rng.range(0, 23));
    const n = rng.range(3, 15);
    for (let i = 0; i < n; i++) out.push({ ms: begin + rng.int(HOUR), type: 'seccft', ip: src.ips[0], m2m: leaked });
    truth.add('m2m_anomaly', `${leaked.id}'s secret used ${n} times from a new network ${src.cidr}`, [{ type: 'client', value: leaked.id }], begin, begin + HOUR);
    const burst = clients[1];
    const begin2 = dayAt(rng.range(1, last), rng.range(0, 23));
    const m = rng.range(20, 150);
    // Half the time its secret was rotated away under it (its own address; every exchange
    // of its own fails until it is fixed, an hour later), half a guesser elsewhere.
    const rotated = rng.chance(0.5);
    const where = rotated ? burst.ips[0] : net.hostingNet(1, attackerCity()).ips[0];
    const span = rng.range(5, 15) * MIN;
    if (rotated) burst.rotated = [begin2, begin2 + HOUR];
    for (let i = 0; i < m; i++) out.push({ ms: begin2 + Math.floor((i / m) * span), type: 'feccft', ip: where, m2m: burst });
    truth.add(
      'm2m_anomaly',
      `${m} failed exchanges of ${burst.id} in ${Math.round(span / MIN)} minutes (${rotated ? 'its secret rotated away: every exchange of its own fails for an hour' : `a guesser at ${where}`})`,
      [{ type: 'client', value: burst.id }],
      begin2,
      begin2 + span,
    );
  }
}

// ---------------------------------------------------------------------------------------
// The stream
// ---------------------------------------------------------------------------------------

function main() {
  const cfg = parseArgs(process.argv.slice(2));
  const root = makeRng(cfg.seed);
  const worldRng = root.fork('world');
  const net = makeNetworks(worldRng);
  const tenant = makeTenant(worldRng, net, cfg);
  const disposable = fs
    .readFileSync(path.join(__dirname, '../../data/disposable-domains.txt'), 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#') && !l.includes('*'))
    .filter((d) => /^[a-z0-9.-]+\.[a-z]{2,}$/.test(d));
  const world = { cfg, tenant, net, start: Date.parse('2026-11-02T00:00:00.000Z'), disposable };

  /** @type {Ev[]} */
  const events = [];
  /** @type {any[]} */
  const planted = [];
  /** @type {any[]} */
  const benign = [];
  const iso = (ms) => new Date(ms).toISOString();
  const truth = {
    add(kind, description, subjects, from, to, extra = {}) {
      if (from < world.start || to >= world.start + cfg.days * DAY) throw new Error(`campaign ${description} is outside the stream`);
      const { also = [], ...rest } = extra;
      planted.push({ id: `c${planted.length + 1}`, kind, description, subjects, window: { start: iso(from), end: iso(to) }, also, ...rest });
    },
  };
  const twice = new Map();
  const look = {
    add(kind, description, subjects, from, to, extra = {}) {
      benign.push({ id: `b${benign.length + 1}`, kind, description, subjects, window: from === undefined ? null : { start: iso(from), end: iso(to) }, ...extra });
    },
    twice(user, ip) {
      if (twice.size < 500) twice.set(user.id, ip);
    },
  };
  const ordinaryRng = root.fork('ordinary');
  // Look-alikes and campaigns first: they mark their people (travellers) before the days run.
  lookalikes(events, root.fork('lookalikes'), world, look);
  campaigns(events, root.fork('campaigns'), world, truth);
  for (let day = 0; day < cfg.days; day++) ordinaryDay(events, ordinaryRng, world, day, look);
  look.add(
    'mistyping_twice',
    `${twice.size} people who mistyped their password twice, then logged in`,
    [...twice.entries()].flatMap(([user, ip]) => [
      { type: 'user', value: user },
      { type: 'ip', value: ip },
    ]),
  );

  const carriers = Object.values(net.cgnats());
  look.add(
    'cgnat',
    `mobile carriers' CGNATs in ${carriers.length} cities (four addresses each, shared by everybody on a phone there)`,
    carriers.flatMap((ips) => [{ type: 'network', value: networkOf(ips[0]) }, ...ips.map((ip) => ({ type: 'ip', value: ip }))]),
  );

  // In time order (a stable sort keeps each person's steps in order), within the days.
  const end = world.start + cfg.days * DAY;
  const inRange = events.filter((e) => e.ms >= world.start && e.ms < end);
  inRange.sort((a, b) => a.ms - b.ms);

  const outRng = root.fork('output');
  const render = makeRenderer(tenant, net, outRng);
  const fd = fs.openSync(cfg.out, 'w');
  let buffer = [];
  let bytes = 0;
  const write = (line) => {
    buffer.push(line);
    bytes += line.length;
    if (bytes > 1 << 20) flush();
  };
  const flush = () => {
    if (buffer.length > 0) fs.writeSync(fd, `${buffer.join('\n')}\n`);
    buffer = [];
    bytes = 0;
  };
  // Lines to repeat (at-least-once delivery): sent again 1 to 300 lines later.
  /** @type {Map<number, string[]>} */
  const repeats = new Map();
  let duplicates = 0;
  let rejected = 0;
  let seq = 0;
  const types = {};
  // About one line in 5,000 is malformed (at least one per file).
  const malformedEvery = Math.min(5000, Math.max(2, Math.floor(inRange.length / 2)));
  for (let i = 0; i < inRange.length; i++) {
    const e = inRange[i];
    const stamp = iso(e.ms).replace(/[-:TZ.]/g, '');
    const log_id = `900${stamp}${String(seq++).padStart(10, '0')}${outRng.chars(56 - 13 - stamp.length, '0123456789')}`;
    const log = render(e);
    types[e.type] = (types[e.type] ?? 0) + 1;
    const line = JSON.stringify({ log_id, data: { ...log, log_id } });
    write(line);
    if (outRng.chance(0.004)) {
      const at = i + outRng.range(1, 300);
      repeats.set(at, [...(repeats.get(at) ?? []), line]);
    }
    for (const again of repeats.get(i) ?? []) {
      write(again);
      duplicates++;
    }
    repeats.delete(i);
    if (i % malformedEvery === Math.floor(malformedEvery / 2)) {
      write(malformed(outRng, e.ms, Math.floor(i / malformedEvery)));
      rejected++;
    }
  }
  for (const lines of repeats.values()) {
    for (const again of lines) {
      write(again);
      duplicates++;
    }
  }
  flush();
  fs.closeSync(fd);

  const summary = {
    format: 'actionguard-logstream-truth/1',
    seed: cfg.seed,
    size: cfg.size,
    organizations: tenant.orgs.length,
    users: tenant.users.length,
    days: cfg.days,
    from: iso(world.start),
    to: iso(end),
    expected: { events: inRange.length, duplicates, rejected },
    types: Object.fromEntries(Object.entries(types).sort(([a], [b]) => a.localeCompare(b))),
    campaigns: planted,
    lookalikes: benign,
  };
  fs.writeFileSync(cfg.truth, `${JSON.stringify(summary, null, 1)}\n`);
  process.stderr.write(`${cfg.out}: ${inRange.length} events, ${duplicates} repeated lines, ${rejected} malformed; ${planted.length} campaigns, ${benign.length} look-alikes\n`);
}

/** A line the core must reject, of one of a few kinds. */
function malformed(rng, ms, n) {
  const stamp = new Date(ms).toISOString().replace(/[-:TZ.]/g, '');
  const id = `900${stamp}${rng.chars(36, '0123456789')}`;
  const kinds = [
    () => `{"log_id":"${id}","data":{"date":"${new Date(ms).toISOString()}","type":"s","ip":"198.51.1`,
    () => JSON.stringify({ data: { date: new Date(ms).toISOString(), type: 'fp', ip: '198.51.100.7' } }),
    () => JSON.stringify({ log_id: id, data: { date: 'yesterday', type: 's' } }),
    () => JSON.stringify({ log_id: id, data: { date: new Date(ms).toISOString() } }),
    () => JSON.stringify({ log_id: id, data: 's' }),
    () => JSON.stringify({ log_id: id, data: { date: new Date(ms).toISOString(), type: 's', user_id: 12345 } }),
  ];
  return kinds[n % kinds.length]();
}

/**
 * The simulated tenant (organizations and people) the stream of `seed` and `size` is
 * made of, without its logs: for generators of other fixtures (scripts/sim/orgs.js).
 * @param {{ seed?: number, size?: keyof typeof SIZES }} [options]
 */
function simulatedTenant({ seed = 1, size = 'medium' } = {}) {
  const cfg = { seed, size, ...SIZES[size] };
  const worldRng = makeRng(seed).fork('world');
  return makeTenant(worldRng, makeNetworks(worldRng), cfg);
}

if (require.main === module) main();
else module.exports = { simulatedTenant, makeRng, SIZES };

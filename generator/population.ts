/**
 * The simulated company: users, their devices, plans, documents and life courses.
 *
 * The population is a function of (seed, scale, launch day) only, grown forward day by day
 * from the launch. A run builds it up to its last day, and because every stream below is
 * keyed by the user (never by the run's range), building it further only appends: the users,
 * documents and plan changes up to any day are the same whatever the run's end. Everything
 * that varies day to day is drawn later, per user-day, in `user-day.ts`.
 */
import { Faker, base, en } from '@faker-js/faker';

import { Account, type Admission } from './accounts';
import type { Plan, Platform } from './catalog';
import {
  FEATURE_MODEL,
  STREAM,
  WEEKEND_ACTIVITY_FACTOR,
  timeOfDay,
  utf8,
  type Device,
  type DocumentPlan,
  type PlanChange,
  type PlannedDay,
  type Population,
  type PopulationOptions,
  type User,
} from './model';
import { Random, WeightedChoice } from './random';
import { DAY_MS, isWeekend, weekday } from './time';

// ---------------------------------------------------------------------------------------
// Behaviour parameters. Calibrated so that the default (scale 1, 2024-01-01..2024-06-30)
// gives about 500 users, 2,000 documents and 1.8M events.

/** Sign-ups per day on launch day at scale 1. */
const SIGNUPS_PER_DAY_AT_LAUNCH = 1.83;

/**
 * Sign-up rate relative to launch day: doubles over the first six months, then grows a more
 * sober 20% a year, so long ranges level off instead of exploding.
 */
function signupGrowth(age: number): number {
  return age <= 182 ? 1 + age / 182 : 2 * (1 + (0.2 * (age - 182)) / 365);
}
/** Weekend sign-ups relative to a weekday. */
const WEEKEND_SIGNUP_FACTOR = 0.5;

const PLAN_AT_SIGNUP = new WeightedChoice<Plan>([
  ['free', 70],
  ['pro', 25],
  ['enterprise', 5],
]);

const SIGNUP_SOURCE = new WeightedChoice<string>([
  ['organic', 50],
  ['referral', 28],
  ['ads', 22],
]);

/** Country, weight, UTC offsets (hours; a user gets one of them). DST is ignored. */
const COUNTRIES: readonly (readonly [string, number, readonly number[]])[] = [
  ['US', 30, [-5, -5, -6, -7, -8]],
  ['GB', 8, [0]],
  ['DE', 7, [1]],
  ['IN', 6, [5]],
  ['CA', 5, [-5, -8]],
  ['FR', 5, [1]],
  ['AU', 4, [10]],
  ['BR', 4, [-3]],
  ['NL', 3, [1]],
  ['ES', 3, [1]],
  ['JP', 3, [9]],
  ['IT', 2, [1]],
  ['SE', 2, [1]],
  ['PL', 2, [1]],
  ['SG', 2, [8]],
  ['MX', 2, [-6]],
  ['IE', 1, [0]],
  ['ZA', 1, [2]],
  ['KR', 1, [9]],
  ['NZ', 1, [12]],
];
const COUNTRY_CHOICE = new WeightedChoice(COUNTRIES.map((c) => [c, c[1]] as const));

const PRIMARY_PLATFORM = new WeightedChoice<Platform>([
  ['web', 55],
  ['desktop', 25],
  ['ios', 10],
  ['android', 10],
]);

const TEMPLATES = [
  ['meeting_notes', 'Meeting notes'],
  ['project_plan', 'Project plan'],
  ['product_spec', 'Product spec'],
  ['weekly_report', 'Weekly report'],
  ['okr_tracker', 'OKR tracker'],
  ['design_review', 'Design review'],
  ['blog_post', 'Blog post'],
  ['retrospective', 'Retrospective'],
] as const;

// ---------------------------------------------------------------------------------------

const EMPTY = new Uint8Array(0);

function pad6(n: number): string {
  return String(n).padStart(6, '0');
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '');
}

/** Moves most weekend days to the following Monday: people plan work on weekdays. */
function preferWeekday(rng: Random, day: number): number {
  if (!isWeekend(day) || rng.chance(WEEKEND_ACTIVITY_FACTOR)) return day;
  return day + (weekday(day) === 6 ? 2 : 1);
}

interface Company {
  /** `acct_000001` for the first: the account the company's members act for. */
  readonly accountId: string;
  readonly account: Account;
  readonly name: string;
  readonly domain: string;
  readonly country: (typeof COUNTRIES)[number];
}

/**
 * Builds the population up to `untilDay` (inclusive). Deterministic in (seed, scale,
 * launchDay); `untilDay` only decides how far it reaches.
 */
export function buildPopulation(options: PopulationOptions): Population {
  const { seed, scale, launchDay, untilDay } = options;
  const faker = new Faker({ locale: [en, base] });
  faker.setDefaultRefDate(new Date(launchDay * DAY_MS));

  const users: User[] = [];
  /** What the accounts fill in once they have played forward, by user. */
  const drafts: { planChanges: PlanChange[]; planned: Map<number, PlannedDay> }[] = [];
  const companies: Company[] = [];
  const companyOf: number[] = [];
  const emails = new Set<string>();
  const companyRng = Random.of(seed, STREAM.company);

  for (let day = launchDay; day <= untilDay; day++) {
    const age = day - launchDay;
    const rate =
      SIGNUPS_PER_DAY_AT_LAUNCH *
      scale *
      signupGrowth(age) *
      (isWeekend(day) ? WEEKEND_SIGNUP_FACTOR : 1) *
      (7 / (5 + 2 * WEEKEND_SIGNUP_FACTOR));
    const signups = Random.of(seed, STREAM.signups, day).poisson(rate);
    for (let i = 0; i < signups; i++) {
      const index = users.length;
      // Companies grow by preferential attachment: joining a random earlier user's company
      // picks companies in proportion to their size.
      let company: number;
      if (index > 0 && companyRng.chance(0.55)) {
        company = companyOf[companyRng.int(0, index - 1)] ?? 0;
      } else {
        company = companies.length;
        companies.push(newCompany(faker, seed, company));
      }
      companyOf.push(company);
      const planChanges: PlanChange[] = [];
      const user = newUser(faker, options, index, day, companies[company] as Company, emails, planChanges);
      users.push(user);
      drafts.push({ planChanges, planned: user.planned as Map<number, PlannedDay> });
    }
  }

  // Plan changes come from the accounts, which see all their members' sign-ups and life courses.
  for (const company of companies) company.account.finish(untilDay);
  for (const { planChanges, planned } of drafts) {
    for (const change of planChanges) {
      let entry = planned.get(change.day);
      if (!entry) planned.set(change.day, (entry = { creates: [], deletes: [] }));
      entry.planChange = change;
    }
  }

  // Documents are numbered in order of creation day (then owner, then ordinal), so the
  // numbers of the documents up to any day do not depend on how far the run reaches.
  const documents = users.flatMap((user) => user.documents);
  documents.sort((a, b) => a.createdDay - b.createdDay || a.owner - b.owner || a.ordinal - b.ordinal);
  documents.forEach((doc, i) => {
    doc.id = `doc_${pad6(i + 1)}`;
    doc.propsPrefix = utf8(`{"document_id":"${doc.id}"`);
    doc.featureSuffix = utf8(`,"document_id":"${doc.id}"}`);
  });

  return {
    seed,
    scale,
    launchDay,
    untilDay,
    users,
    documentCount: documents.length,
    accountCount: companies.length,
  };
}

function newCompany(faker: Faker, seed: number, index: number): Company {
  faker.seed([seed, STREAM.fakerCompany, index]);
  const name = faker.company.name();
  const tld = faker.helpers.arrayElement(['com', 'com', 'com', 'io', 'co', 'net']);
  const countryRng = Random.of(seed, STREAM.company, index);
  const country = COUNTRY_CHOICE.choose(countryRng);
  const accountId = `acct_${pad6(index + 1)}`;
  return {
    accountId,
    account: new Account(accountId, Random.of(seed, STREAM.accounts, index), country[0]),
    name,
    domain: `${slug(name.split(/[\s,-]+/)[0] ?? 'acme') || 'acme'}.${tld}`,
    country,
  };
}

function newUser(
  faker: Faker,
  options: PopulationOptions,
  index: number,
  signupDay: number,
  company: Company,
  emails: Set<string>,
  planChanges: PlanChange[],
): User {
  const { seed, untilDay } = options;
  const rng = Random.of(seed, STREAM.profile, index);
  const id = `usr_${pad6(index + 1)}`;

  const country = rng.chance(0.85) ? company.country : COUNTRY_CHOICE.choose(rng);
  const tzOffsetHours = rng.pick(country[2]);
  const signupMs = signupDay * DAY_MS + timeOfDay(rng, tzOffsetHours, isWeekend(signupDay));
  // The account decides: a member joining while it pays gets a seat on its plan.
  const admission: Admission = company.account.admit(signupDay, PLAN_AT_SIGNUP.choose(rng));
  const signupPlan = admission.signupPlan;
  const paid = admission.plan !== 'free';

  // Engagement: log-normal, so most users are moderate and a few are heavy.
  const engagement = Math.min(4, Math.max(0.15, rng.logNormal(1, 0.6)));
  const weekdayActivity = Math.min(0.97, 0.88 * Math.sqrt(engagement) * (paid ? 1.15 : 1));
  const decayDays = 30 + rng.exponential(120);
  const activityFloor = 0.4 + 0.35 * rng.next();
  const sessionsPerDay = 1 + 2 * engagement;
  const actionsPerSession = 7.2 + 13.4 * Math.sqrt(engagement);
  const typingRate = rng.logNormal(1.2, 0.4);

  // Life course: a third are short-lived trials, the rest stay for months; some come back.
  const firstLength = rng.chance(paid ? 0.15 : 0.35) ? 3 + rng.exponential(25) : 14 + rng.exponential(240);
  const windows: [number, number][] = [[signupDay, signupDay + 1 + Math.floor(firstLength)]];
  if (rng.chance(0.25)) {
    const [, churnDay] = windows[0] as [number, number];
    const back = churnDay + 7 + Math.floor(rng.exponential(40));
    const length = rng.chance(0.3)
      ? 30 + Math.floor(rng.exponential(240))
      : 5 + Math.floor(rng.exponential(60));
    windows.push([back, back + length]);
  }

  company.account.join({ engagement, windows, planChanges }, admission);

  const loginMethod =
    admission.plan === 'enterprise'
      ? new WeightedChoice([
          ['sso', 70],
          ['google', 10],
          ['password', 20],
        ]).choose(rng)
      : rng.chance(0.35)
        ? 'google'
        : 'password';

  const featureAdoptionAge = new Float64Array(FEATURE_MODEL.length);
  FEATURE_MODEL.forEach((feature, i) => {
    featureAdoptionAge[i] = rng.chance(feature.never)
      ? Infinity
      : rng.exponential(feature.meanDays / Math.sqrt(engagement));
  });

  // Entities from faker, seeded per user so one user's data never shifts another's.
  faker.seed([seed, STREAM.fakerUser, index]);
  const firstName = faker.person.firstName();
  const lastName = faker.person.lastName();
  let email = rng.chance(0.8)
    ? `${slug(firstName)}.${slug(lastName)}@${company.domain}`
    : faker.internet.email({ firstName, lastName }).toLowerCase();
  for (let n = index + 1; emails.has(email); n++) email = email.replace(/\d*@/, `${n}@`);
  emails.add(email);

  const platforms: Platform[] = [PRIMARY_PLATFORM.choose(rng)];
  if (rng.chance(0.45)) platforms.push(rng.chance(0.55) ? 'ios' : 'android');
  if (rng.chance(0.15)) platforms.push(platforms[0] === 'web' ? 'desktop' : 'web');
  const devices = platforms.map((platform) => newDevice(faker, platform));

  const signupProps = `{${[
    `"email":${JSON.stringify(email)}`,
    `"name":${JSON.stringify(`${firstName} ${lastName}`)}`,
    `"plan":"${signupPlan}"`,
    `"company":${JSON.stringify(company.name)}`,
    `"country":"${country[0]}"`,
    `"signup_source":"${SIGNUP_SOURCE.choose(rng)}"`,
  ].join(',')}}`;

  faker.seed([seed, STREAM.fakerTitles, index]);
  const documents = planDocuments(
    Random.of(seed, STREAM.documents, index),
    faker,
    index,
    signupDay,
    engagement,
    windows,
    untilDay,
  );

  const planned = new Map<number, PlannedDay>();
  const plannedOn = (day: number): PlannedDay => {
    let entry = planned.get(day);
    if (!entry) planned.set(day, (entry = { creates: [], deletes: [] }));
    return entry;
  };
  plannedOn(signupDay);
  for (const doc of documents) {
    plannedOn(doc.createdDay).creates.push(doc);
    if (doc.deletedDay <= untilDay) plannedOn(doc.deletedDay).deletes.push(doc);
  }

  return {
    index,
    id,
    accountId: company.accountId,
    sessionPrefix: utf8(`","user_id":"${id}","account_id":"${company.accountId}","session_id":"ses_`),
    signupMs,
    signupDay,
    tzOffsetHours,
    signupPlan,
    engagement,
    weekdayActivity,
    decayDays,
    activityFloor,
    sessionsPerDay,
    actionsPerSession,
    typingRate,
    windows,
    loginProps: utf8(`{"method":"${loginMethod}"}`),
    devices,
    featureAdoptionAge,
    planChanges,
    documents,
    planned,
    signupProps: utf8(signupProps),
    eventsPerActiveDay: sessionsPerDay * (actionsPerSession + 2),
  };
}

/** A current desktop browser. faker's own user agents include long-dead browsers (MSIE 6). */
function browserUserAgent(faker: Faker): string {
  const chrome = `${faker.number.int({ min: 118, max: 124 })}.0.0.0`;
  const windows = 'Windows NT 10.0; Win64; x64';
  const mac = 'Macintosh; Intel Mac OS X 10_15_7';
  const webkit = 'AppleWebKit/537.36 (KHTML, like Gecko)';
  const firefox = faker.number.int({ min: 118, max: 125 });
  return faker.helpers.weightedArrayElement([
    { weight: 30, value: `Mozilla/5.0 (${windows}) ${webkit} Chrome/${chrome} Safari/537.36` },
    { weight: 20, value: `Mozilla/5.0 (${mac}) ${webkit} Chrome/${chrome} Safari/537.36` },
    { weight: 3, value: `Mozilla/5.0 (X11; Linux x86_64) ${webkit} Chrome/${chrome} Safari/537.36` },
    { weight: 12, value: `Mozilla/5.0 (${windows}) ${webkit} Chrome/${chrome} Safari/537.36 Edg/${chrome}` },
    {
      weight: 15,
      value: `Mozilla/5.0 (${mac}) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.${faker.number.int(4)} Safari/605.1.15`,
    },
    { weight: 8, value: `Mozilla/5.0 (${windows}; rv:${firefox}.0) Gecko/20100101 Firefox/${firefox}.0` },
    {
      weight: 4,
      value: `Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:${firefox}.0) Gecko/20100101 Firefox/${firefox}.0`,
    },
  ]);
}

function newDevice(faker: Faker, platform: Platform): Device {
  const version = `${faker.number.int({ min: 3, max: 4 })}.${faker.number.int(20)}.${faker.number.int(9)}`;
  let userAgent: string;
  switch (platform) {
    case 'web':
      userAgent = browserUserAgent(faker);
      break;
    case 'desktop':
      userAgent = `DocsApp/${version} (${faker.helpers.arrayElement([
        'Windows NT 10.0; Win64; x64',
        'Macintosh; Intel Mac OS X 10_15_7',
        'Macintosh; Apple Mac OS X 14_2',
        'X11; Linux x86_64',
      ])}) Electron/${faker.number.int({ min: 27, max: 29 })}.${faker.number.int(3)}.0`;
      break;
    case 'ios':
      userAgent = `DocsApp/${version} (${faker.helpers.arrayElement(['iPhone', 'iPad'])}; iOS 17.${faker.number.int(
        4,
      )}; Scale/${faker.helpers.arrayElement(['2.00', '3.00'])})`;
      break;
    case 'android':
      userAgent = `DocsApp/${version} (Linux; Android ${faker.number.int({ min: 11, max: 14 })}; ${faker.helpers.arrayElement(
        ['Pixel 7', 'Pixel 8', 'SM-S911B', 'SM-A546B', 'OnePlus 11', 'moto g54'],
      )})`;
      break;
  }
  const context = `{"platform":"${platform}","ip_address":"${faker.internet.ipv4()}","user_agent":${JSON.stringify(userAgent)}}`;
  return { platform, contextTail: utf8(`,"context":${context}}`) };
}

function planDocuments(
  rng: Random,
  faker: Faker,
  owner: number,
  signupDay: number,
  engagement: number,
  windows: readonly (readonly [number, number])[],
  untilDay: number,
): DocumentPlan[] {
  const documents: DocumentPlan[] = [];
  const ratePerDay = 0.05 * Math.pow(engagement, 0.7);
  const add = (createdDay: number) => {
    const window = windows.find(([first, end]) => createdDay >= first && createdDay < end);
    const deleteAfter = 1 + Math.floor(rng.exponential(30));
    const deletes = rng.chance(0.12) && window !== undefined && createdDay + deleteAfter < window[1];
    const template = rng.chance(0.3) ? rng.pick(TEMPLATES) : undefined;
    const title = template
      ? `${template[1]}: ${faker.company.buzzNoun()}`
      : faker.helpers.arrayElement([
          () => `${faker.company.buzzAdjective()} ${faker.company.buzzNoun()}`,
          () => `${faker.commerce.department()} roadmap`,
          () => `Notes on ${faker.hacker.noun()}`,
          () => faker.company.catchPhrase(),
          () => `${faker.person.jobArea()} onboarding guide`,
        ])();
    documents.push({
      owner,
      ordinal: documents.length,
      createdDay,
      deletedDay: deletes ? createdDay + deleteAfter : Infinity,
      createdProps: utf8(
        `,"title":${JSON.stringify(title.charAt(0).toUpperCase() + title.slice(1))},"template":${
          template ? `"${template[0]}"` : 'null'
        }}`,
      ),
      id: '',
      propsPrefix: EMPTY,
      featureSuffix: EMPTY,
    });
  };

  // Most users create their first document in their first session.
  if (rng.chance(0.85)) add(signupDay);
  for (const [first, end] of windows) {
    let t = first + 0.5;
    for (;;) {
      t += rng.exponential(1 / ratePerDay);
      // Moving to a weekday shifts by at most two days; drawing a little past the run's end
      // keeps the documents up to any day independent of where the run stops.
      if (t >= end || t > untilDay + 3) break;
      add(preferWeekday(rng, Math.floor(t)));
    }
  }
  return documents.filter((doc) => doc.createdDay <= untilDay);
}

import { UAParser } from 'ua-parser-js';
import type { Queryable } from './db';

/**
 * Browser, OS and device families of the user agents a file names, parsed once per distinct string
 * with ua-parser-js (MIT; its 2.x releases are AGPL, so 1.x is pinned) and kept in raw.user_agents,
 * which staging joins. A file's distinct user agents are held in memory up to MAX_PER_FILE, each up to
 * MAX_LENGTH characters; past either, a user agent is staged without families.
 */
export const USER_AGENT_LIMITS = { maxPerFile: 10_000, maxLength: 1_000 };

export interface UserAgentFamilies {
  readonly userAgent: string;
  readonly browserFamily: string | null;
  readonly osFamily: string | null;
  readonly deviceType: string | null;
}

export function parseUserAgent(userAgent: string): UserAgentFamilies {
  const result = new UAParser(userAgent).getResult();
  return {
    userAgent,
    browserFamily: result.browser.name ?? null,
    osFamily: result.os.name ?? null,
    // ua-parser-js names mobile, tablet, console, smarttv, wearable and embedded; no type is a desktop.
    deviceType: result.device.type ?? (result.os.name === undefined ? null : 'desktop'),
  };
}

/** The user agents of a file as loading meets them: `"user_agent"` (native) or `"userAgent"` (Segment). */
export class UserAgentCollector {
  readonly seen = new Set<string>();
  private static readonly FIELD = /"(?:user_agent|userAgent)"\s*:\s*"((?:[^"\\]|\\.)*)"/;

  /** Looks at one line that is valid JSON; cheap when it names no user agent. */
  add(line: string): void {
    if (this.seen.size >= USER_AGENT_LIMITS.maxPerFile) return;
    const match = UserAgentCollector.FIELD.exec(line);
    const raw = match?.[1];
    if (raw === undefined || raw.length === 0 || raw.length > USER_AGENT_LIMITS.maxLength) return;
    this.seen.add(raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw);
  }

  /**
   * Records the families of the user agents not known yet, in the loading transaction, just before it
   * commits: a loader of another file naming a new user agent waits only that long. In key order, so
   * that two loaders that meet the same new user agents never deadlock.
   */
  async save(db: Queryable): Promise<void> {
    if (this.seen.size === 0) return;
    const { rows } = await db.query<{ user_agent: string }>(
      `select u.user_agent from unnest($1::text[]) as u (user_agent)
       where not exists (select 1 from raw.user_agents as k where k.user_agent = u.user_agent)
       order by u.user_agent`,
      [[...this.seen]],
    );
    if (rows.length === 0) return;
    const parsed = rows.map((row) => parseUserAgent(row.user_agent));
    await db.query(
      `insert into raw.user_agents (user_agent, browser_family, os_family, device_type)
       select * from unnest($1::text[], $2::text[], $3::text[], $4::text[]) as u (user_agent, browser_family, os_family, device_type)
       order by u.user_agent
       on conflict (user_agent) do nothing`,
      [
        parsed.map((p) => p.userAgent),
        parsed.map((p) => p.browserFamily),
        parsed.map((p) => p.osFamily),
        parsed.map((p) => p.deviceType),
      ],
    );
  }
}

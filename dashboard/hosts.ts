import { isIPv6 } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';

export const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** Addresses that listen on every interface of the machine. */
export const WILDCARD = new Set(['0.0.0.0', '::']);

/** A name as a Host header writes it: lowercase, an IPv6 address in brackets. */
function hostValue(name: string): string {
  const lower = name.toLowerCase();
  return isIPv6(lower) ? `[${lower}]` : lower;
}

/**
 * The Host header values an extra name allows: as given when it names its port (a proxy on 443, say),
 * else the name alone (a proxy that keeps the default port out of Host) and the name with our port.
 */
function extraValues(name: string, port: number): string[] {
  const value = hostValue(name);
  return /:\d+$/.test(value) ? [value] : [value, `${value}:${port}`];
}

/** Every address of the machine's interfaces, and its host name. */
function machineNames(): string[] {
  const addresses = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
  // localhost cannot be a rebinding attacker's name, and it is what people type on the machine itself.
  return [...addresses, hostname(), 'localhost'];
}

export interface HostCheckOptions {
  /** What the server was asked to listen on: an address or a name. */
  readonly host: string;
  /** The address it listens on, from server.address(). */
  readonly address: string;
  readonly port: number;
  /** Further names, given with --allow-host. */
  readonly extra: readonly string[];
}

/**
 * The Host header values the dashboard answers. A page on another site can point its own name at our
 * address (DNS rebinding) and read what we serve; it cannot make the browser send one of our names in
 * Host. So the server answers only the names it is reached by: loopback's, the address or name it was
 * bound to, or on a wildcard bind every address and the name of the machine; plus the names given.
 */
export function allowedHosts(options: HostCheckOptions): Set<string> {
  const { host, address, port } = options;
  const names = LOOPBACK.has(host)
    ? ['127.0.0.1', 'localhost', '::1']
    : WILDCARD.has(address)
      ? machineNames()
      : [host, address];
  return new Set([
    ...names.map((name) => `${hostValue(name)}:${port}`),
    ...options.extra.flatMap((name) => extraValues(name, port)),
  ]);
}

/** A name or address, optionally with a port: what --allow-host takes. */
export function isHostName(value: string): boolean {
  return isIPv6(value) || /^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9.-]*[a-z0-9])?)(:\d{1,5})?$/i.test(value);
}

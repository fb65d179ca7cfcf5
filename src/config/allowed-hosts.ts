/**
 * `security.allowedHosts`: the hosts the bridge may send requests to (endpoints, health
 * probes, OAuth token endpoints). A pattern is a host name (`orders.internal`), a wildcard
 * for every subdomain (`*.svc.cluster.local`, which does not match `svc.cluster.local`
 * itself), an IPv4 address or an IPv6 address (`[fd00::1]` or `fd00::1`). No ports, paths
 * or schemes: the list is about where requests go, not how.
 *
 * Patterns and URLs are normalised by the same WHATWG URL parser, so the spellings a parser
 * accepts for one address (`0x7f.1`, `127.1`, upper case, IPv6 zero runs) cannot slip past
 * the list or be refused by it.
 */
import { isIPv6 } from 'node:net';

const WILDCARD = '*.';
const HOST_CHARS = /^[A-Za-z0-9.-]+$/;

/** The host of a pattern as the URL parser writes it, or undefined when it is not a host. */
function parseHost(text: string): string | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const ipv6 = isIPv6(bare);
  if (!ipv6 && !HOST_CHARS.test(text)) return undefined;
  const url = URL.parse(`http://${ipv6 ? `[${bare}]` : text}/`);
  if (url === null || url.port !== '' || url.hostname === '') return undefined;
  return stripDot(url.hostname);
}

function stripDot(host: string): string {
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

function isIpLiteral(host: string): boolean {
  return host.startsWith('[') || /^\d+\.\d+\.\d+\.\d+$/.test(host);
}

/** Why `pattern` is not a host pattern, or undefined. */
export function hostPatternProblem(pattern: unknown): string | undefined {
  const hint = 'must be a host name, *.domain, or an IP address, without scheme, port or path';
  if (typeof pattern !== 'string' || pattern === '') return hint;
  const wildcard = pattern.startsWith(WILDCARD);
  const host = parseHost(wildcard ? pattern.slice(WILDCARD.length) : pattern);
  if (host === undefined || host.includes('*')) return hint;
  if (wildcard && isIpLiteral(host)) return 'a wildcard (*.) goes with a domain name, not an IP address';
  return undefined;
}

/** The canonical form of a valid pattern (lower case, IPs normalised). */
export function normalizeHostPattern(pattern: string): string {
  const wildcard = pattern.startsWith(WILDCARD);
  const host = parseHost(wildcard ? pattern.slice(WILDCARD.length) : pattern) ?? pattern.toLowerCase();
  return wildcard ? `${WILDCARD}${host}` : host;
}

/** Whether the host of `url` is on the list. An empty list allows every host. */
export function hostAllowed(url: string, patterns: readonly string[]): boolean {
  if (patterns.length === 0) return true;
  const parsed = URL.parse(url);
  if (parsed === null) return false;
  const host = stripDot(parsed.hostname);
  return patterns.some((pattern) =>
    pattern.startsWith(WILDCARD) ? host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1 : host === pattern,
  );
}

/** The host part of a URL, for messages (never the path or query, which may carry tokens). */
export function hostOf(url: string): string {
  return URL.parse(url)?.hostname ?? '';
}

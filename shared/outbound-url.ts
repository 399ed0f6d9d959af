import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Where the platform may send outbound calls to URLs that users (or settings) give it:
 * webhooks. Without this, a webhook is a way into the internal network (SSRF).
 */
export interface OutboundPolicy {
  /** Plain http allowed (development); https only otherwise. */
  allowHttp: boolean;
  /** Hosts (names or addresses, lower case) allowed even on private addresses: development and tests. */
  allowHosts: string[];
}

export const STRICT_OUTBOUND: OutboundPolicy = { allowHttp: false, allowHosts: [] };

export class OutboundUrlError extends Error {}

/** Loopback, private, link-local (cloud metadata lives there), multicast, unspecified, CGNAT, reserved. */
const forbidden = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  forbidden.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const) {
  forbidden.addSubnet(net, prefix, 'ipv6');
}

/** True for an address no outbound call may reach (IPv4-mapped IPv6 judged as its IPv4). */
export function isForbiddenAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return forbidden.check(mapped[1]!, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return forbidden.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, '').toLowerCase();

/** Parses and checks the form of an outbound URL (scheme, no credentials); no DNS. */
export function parseOutboundUrl(raw: string, policy: OutboundPolicy): URL {
  let url: URL;
  try {
    url = new URL(String(raw).trim());
  } catch {
    throw new OutboundUrlError('not a URL');
  }
  if (url.protocol !== 'https:' && !(policy.allowHttp && url.protocol === 'http:')) {
    throw new OutboundUrlError(policy.allowHttp ? 'must be an http(s) URL' : 'must be an https URL');
  }
  if (url.username || url.password) throw new OutboundUrlError('must not carry credentials');
  return url;
}

/**
 * The addresses `url` may be reached at: its host resolved, every address checked. Refused when
 * any is loopback, private, link-local, multicast or otherwise internal, unless the host is on
 * the allow-list. Delivery resolves again (DNS can change) and connects only to what this allows.
 */
export async function resolveOutbound(url: URL, policy: OutboundPolicy): Promise<string[]> {
  const host = hostOf(url);
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true, verbatim: true }).catch(() => [])).map((a) => a.address);
  if (addresses.length === 0) throw new OutboundUrlError(`${host} does not resolve`);
  if (policy.allowHosts.includes(host)) return addresses;
  const bad = addresses.find(isForbiddenAddress);
  if (bad) throw new OutboundUrlError(`${host} resolves to ${bad}, an internal address`);
  return addresses;
}

/** Parses and resolves; the normalised URL when it may be called. */
export async function checkOutboundUrl(raw: string, policy: OutboundPolicy): Promise<string> {
  const url = parseOutboundUrl(raw, policy);
  await resolveOutbound(url, policy);
  return url.toString();
}

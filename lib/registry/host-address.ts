import { networkInterfaces } from 'node:os';

const WILDCARD_HOSTS = new Set(['', '0.0.0.0', '::', '[::]', '*']);

/** The first non-internal IPv4 address of this host (others cannot reach 0.0.0.0), else 127.0.0.1. */
export function hostAddress(): string {
  let ipv6: string | undefined;
  for (const addresses of Object.values(networkInterfaces())) {
    for (const info of addresses ?? []) {
      if (info.internal) continue;
      if (info.family === 'IPv4') return info.address;
      ipv6 ??= `[${info.address}]`;
    }
  }
  return ipv6 ?? '127.0.0.1';
}

/** `host:port` with a wildcard or missing host replaced by the host's real address. */
export function reachableAddress(address: string | undefined, port: number | undefined): string | undefined {
  if (address === undefined) return port === undefined ? undefined : `${hostAddress()}:${port}`;
  const colon = address.lastIndexOf(':');
  const host = colon < 0 ? address : address.slice(0, colon);
  const portText = colon < 0 ? (port === undefined ? '' : String(port)) : address.slice(colon + 1);
  const realHost = WILDCARD_HOSTS.has(host) ? hostAddress() : host;
  return portText ? `${realHost}:${portText}` : realHost;
}

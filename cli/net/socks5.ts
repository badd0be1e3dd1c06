/**
 * SOCKS version 5 (RFC 1928), server side, only what the egress proxy offers: the "no
 * authentication required" method and the CONNECT command, with IPv4, domain-name and IPv6
 * destinations. Parsing is separate from I/O so it can be tested on bytes.
 */

export const SOCKS_VERSION = 0x05;
export const METHOD_NO_AUTH = 0x00;
export const METHOD_NONE_ACCEPTABLE = 0xff;
export const CMD_CONNECT = 0x01;
export const ATYP_IPV4 = 0x01;
export const ATYP_DOMAIN = 0x03;
export const ATYP_IPV6 = 0x04;

/** Reply codes (RFC 1928 section 6). */
export const REP = {
  succeeded: 0x00,
  generalFailure: 0x01,
  notAllowed: 0x02,
  networkUnreachable: 0x03,
  hostUnreachable: 0x04,
  connectionRefused: 0x05,
  ttlExpired: 0x06,
  commandNotSupported: 0x07,
  addressTypeNotSupported: 0x08,
} as const;

export type SocksParse<T> = { need: number } | { error: string; reply?: number } | { value: T; length: number };

/** The greeting: VER, NMETHODS, METHODS. Returns whether no-auth is offered. */
export function parseGreeting(buf: Buffer): SocksParse<{ noAuth: boolean }> {
  if (buf.length < 2) return { need: 2 };
  if (buf[0] !== SOCKS_VERSION) return { error: `not SOCKS version 5 (version byte ${buf[0]})` };
  const n = buf[1]!;
  if (n === 0) return { error: 'the greeting offers no authentication method' };
  if (buf.length < 2 + n) return { need: 2 + n };
  return { value: { noAuth: buf.subarray(2, 2 + n).includes(METHOD_NO_AUTH) }, length: 2 + n };
}

/** The request: VER, CMD, RSV, ATYP, DST.ADDR, DST.PORT. */
export function parseRequest(buf: Buffer): SocksParse<{ host: string; port: number; atyp: number }> {
  if (buf.length < 5) return { need: 5 };
  if (buf[0] !== SOCKS_VERSION) return { error: `not SOCKS version 5 (version byte ${buf[0]})`, reply: REP.generalFailure };
  const cmd = buf[1]!;
  const atyp = buf[3]!;
  let addrLen: number;
  let start = 4;
  if (atyp === ATYP_IPV4) addrLen = 4;
  else if (atyp === ATYP_IPV6) addrLen = 16;
  else if (atyp === ATYP_DOMAIN) {
    addrLen = buf[4]!;
    start = 5;
    if (addrLen === 0) return { error: 'empty domain name', reply: REP.generalFailure };
  } else return { error: `address type ${atyp} is not supported`, reply: REP.addressTypeNotSupported };
  const total = start + addrLen + 2;
  if (buf.length < total) return { need: total };
  if (cmd !== CMD_CONNECT) return { error: `command ${cmd} is not supported (only CONNECT)`, reply: REP.commandNotSupported };
  const addr = buf.subarray(start, start + addrLen);
  let host: string;
  if (atyp === ATYP_IPV4) host = [...addr].join('.');
  else if (atyp === ATYP_IPV6) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(addr.readUInt16BE(i).toString(16));
    // The URL parser prints the canonical compressed form (RFC 5952): `::1`.
    host = new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
  } else {
    host = addr.toString('latin1');
    if (!/^[\x21-\x7e]+$/.test(host)) return { error: 'the domain name has bytes outside printable ASCII', reply: REP.generalFailure };
  }
  return { value: { host, port: buf.readUInt16BE(start + addrLen), atyp }, length: total };
}

/** A reply with a zero IPv4 bound address: clients do not need ours. */
export function reply(rep: number): Buffer {
  return Buffer.from([SOCKS_VERSION, rep, 0x00, ATYP_IPV4, 0, 0, 0, 0, 0, 0]);
}

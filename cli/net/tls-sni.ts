/**
 * The server name a TLS client asks for: the `server_name` extension (RFC 6066) of the
 * ClientHello (RFC 8446 section 4.1.2), read from the first TLS record of a tunnel. The egress
 * proxy compares it with the name it checked, so a tunnel opened for an allowed name cannot ask
 * the same address for another virtual host (a forged SNI).
 */

const RECORD_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
const EXT_SERVER_NAME = 0;
const NAME_TYPE_HOST_NAME = 0;
/** A record's fragment is at most 2^14 bytes (plus expansion, which a ClientHello does not have). */
const MAX_RECORD = 5 + (1 << 14) + 256;

export type SniResult =
  /** Not a TLS handshake record: the tunnel carries something else. */
  | { kind: 'not-tls' }
  /** More bytes are needed (at most `need` in all). */
  | { kind: 'need'; need: number }
  | { kind: 'hello'; serverName?: string }
  | { kind: 'error'; message: string };

export function readClientHelloSni(buf: Buffer): SniResult {
  if (buf.length === 0) return { kind: 'need', need: 1 };
  if (buf[0] !== RECORD_HANDSHAKE) return { kind: 'not-tls' };
  if (buf.length < 5) return { kind: 'need', need: 5 };
  const recordLength = buf.readUInt16BE(3);
  if (5 + recordLength > MAX_RECORD) return { kind: 'error', message: 'TLS record longer than allowed' };
  if (buf.length < 5 + recordLength) return { kind: 'need', need: 5 + recordLength };
  const rec = buf.subarray(5, 5 + recordLength);
  if (rec.length < 4 || rec[0] !== HANDSHAKE_CLIENT_HELLO) return { kind: 'error', message: 'the first TLS handshake message is not a ClientHello' };
  const helloLength = rec.readUIntBE(1, 3);
  if (4 + helloLength > rec.length) return { kind: 'error', message: 'the ClientHello spans several TLS records' };
  const hello = rec.subarray(4, 4 + helloLength);
  let p = 2 + 32; // legacy_version, random
  const skip = (lenBytes: 1 | 2): boolean => {
    if (p + lenBytes > hello.length) return false;
    const n = lenBytes === 1 ? hello[p]! : hello.readUInt16BE(p);
    p += lenBytes + n;
    return p <= hello.length;
  };
  if (!skip(1) || !skip(2) || !skip(1)) return { kind: 'error', message: 'truncated ClientHello' }; // session id, cipher suites, compression
  if (p === hello.length) return { kind: 'hello' }; // no extensions
  if (p + 2 > hello.length) return { kind: 'error', message: 'truncated ClientHello extensions' };
  const end = p + 2 + hello.readUInt16BE(p);
  if (end > hello.length) return { kind: 'error', message: 'truncated ClientHello extensions' };
  p += 2;
  while (p + 4 <= end) {
    const type = hello.readUInt16BE(p);
    const len = hello.readUInt16BE(p + 2);
    const data = hello.subarray(p + 4, p + 4 + len);
    if (p + 4 + len > end) return { kind: 'error', message: 'truncated ClientHello extension' };
    p += 4 + len;
    if (type !== EXT_SERVER_NAME) continue;
    if (data.length < 2) return { kind: 'error', message: 'malformed server_name extension' };
    const listEnd = 2 + data.readUInt16BE(0);
    if (listEnd > data.length) return { kind: 'error', message: 'malformed server_name extension' };
    let q = 2;
    const names: string[] = [];
    while (q + 3 <= listEnd) {
      const nameType = data[q]!;
      const nameLength = data.readUInt16BE(q + 1);
      if (q + 3 + nameLength > listEnd) return { kind: 'error', message: 'malformed server_name extension' };
      if (nameType === NAME_TYPE_HOST_NAME) names.push(data.subarray(q + 3, q + 3 + nameLength).toString('latin1'));
      q += 3 + nameLength;
    }
    if (names.length !== 1) return { kind: 'error', message: `the ClientHello names ${names.length} servers` };
    return { kind: 'hello', serverName: names[0]! };
  }
  return { kind: 'hello' };
}

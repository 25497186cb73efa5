let table: Uint32Array | undefined;

function crcTable(): Uint32Array {
  if (table) return table;
  table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** CRC-32 (IEEE, as zip and PNG) of the bytes (or of several parts, in order, as one run of bytes), as 8 lower-case hex digits. */
export function crc32Hex(bytes: Uint8Array | readonly Uint8Array[]): string {
  const t = crcTable();
  let c = 0xffffffff;
  for (const part of bytes instanceof Uint8Array ? [bytes] : bytes)
    for (let k = 0; k < part.length; k++) c = t[(c ^ part[k]!) & 0xff]! ^ (c >>> 8);
  return ((c ^ 0xffffffff) >>> 0).toString(16).padStart(8, '0');
}

/** A chunk a stream gave (typed `any` by Node's stream types) as a Buffer, without a cast. */
export function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError(`a stream gave a ${typeof chunk} chunk where bytes were expected`);
}

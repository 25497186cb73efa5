/**
 * Bytes arriving in chunks: a web `ReadableStream<Uint8Array>` (browser `fetch().body`,
 * `File.stream()`) or any async iterable of byte chunks (a Node `fs.ReadStream` yields Buffers,
 * which are Uint8Arrays).
 */
export type ByteSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

function isWebStream(source: ByteSource): source is ReadableStream<Uint8Array> {
  return typeof (source as ReadableStream<Uint8Array>).getReader === 'function';
}

/**
 * Iterates the chunks of a {@link ByteSource}. Web streams are read through a reader (not every
 * browser makes `ReadableStream` async-iterable); the reader is cancelled if the consumer stops early.
 */
export async function* iterateByteChunks(
  source: ByteSource,
): AsyncGenerator<Uint8Array, void, undefined> {
  if (!isWebStream(source)) {
    yield* source;
    return;
  }
  const reader = source.getReader();
  let done = false;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

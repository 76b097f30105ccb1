/** Deterministic test body: the same URL always yields the same bytes, so clients can compare. */
export function bodyBytes(seed: string, size: number): Buffer {
  const b = Buffer.alloc(size);
  let h = 0;
  for (const c of seed) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  for (let i = 0; i < size; i++) b[i] = (i * 131 + h) & 255;
  return b;
}

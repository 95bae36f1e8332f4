/** Below this many bytes a plain loop beats Buffer#copy, whose call overhead dominates small copies. */
const LOOP_COPY_MAX = 32;

/** Copies source[start, end) to target[targetStart...]; the caller guarantees the bounds. */
export function copyBytes(source: Uint8Array, start: number, end: number, target: Uint8Array, targetStart: number): void {
  const n = end - start;
  if (n <= LOOP_COPY_MAX) {
    for (let i = 0; i < n; i++) target[targetStart + i] = source[start + i]!;
  } else if (start === 0 && end === source.length) {
    target.set(source, targetStart);
  } else {
    target.set(source.subarray(start, end), targetStart);
  }
}

/** A numeric command-line flag in min..max; anything else ends the process with a usage error. */
export function numberFlag(value: unknown, name: string, min: number, max: number): number {
  const v = Number(value);
  if (!Number.isFinite(v) || v < min || v > max) {
    console.error(`--${name} must be a number in ${min}..${max}`);
    process.exit(2);
  }
  return v;
}

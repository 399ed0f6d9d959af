/**
 * Turkish plates: a province code 01–81, then 1–3 letters, then 2–4 digits,
 * e.g. "34 ABC 123". Stored and compared normalised: upper case, no spaces.
 */
const PLATE_PATTERN = /^(0[1-9]|[1-7][0-9]|8[01])([A-Z]{1,3})([0-9]{2,4})$/;

/** Upper-cases and removes spaces: "34 abc 123" → "34ABC123". */
export function normalizePlate(raw: string): string {
  return raw.replace(/\s+/g, '').toUpperCase();
}

/** True when the normalised plate is a valid Turkish plate. */
export function isValidPlate(normalized: string): boolean {
  return PLATE_PATTERN.test(normalized);
}

/** Fault-switch subjects plus the valid plates among them in normalised form: a switch armed for a plate matches however it was typed. */
export function withNormalizedPlates(subjects: string[]): string[] {
  return [...subjects, ...subjects.map(normalizePlate).filter(isValidPlate)];
}

/**
 * Turkish plates as the registry issues ordinary ones: a province code 01–81, then
 *   1 letter and 4–5 digits    (34 A 1234, 34 A 12345),
 *   2 letters and 3–4 digits   (34 AB 123, 34 AB 1234), or
 *   3 letters and 2–3 digits   (34 ABC 12, 34 ABC 123).
 * Serial letters come from the Turkish alphabet without Ç, Ğ, İ, Ö, Ş, Ü, which leaves
 * the 23 ASCII letters other than Q, W and X (not Turkish letters at all).
 * Stored and compared normalised: upper case, no spaces.
 */
export const PLATE_LETTERS = 'ABCDEFGHIJKLMNOPRSTUVYZ';

const L = `[${PLATE_LETTERS}]`;
const PLATE_PATTERN = new RegExp(`^(0[1-9]|[1-7][0-9]|8[01])(${L}[0-9]{4,5}|${L}{2}[0-9]{3,4}|${L}{3}[0-9]{2,3})$`);

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

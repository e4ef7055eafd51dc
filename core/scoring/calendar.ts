/**
 * Calendar arithmetic on day numbers (days since 1970-01-01 in the proleptic Gregorian calendar),
 * without Date objects: the scorer runs it for every record of every subject, so it is plain
 * integer arithmetic (H. Hinnant's days-from-civil algorithms).
 */

export const SECONDS_PER_DAY = 86_400;

/** The day number of year `y`, month `m` (1…12), day `d` (1…31). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const year = m <= 2 ? y - 1 : y;
  const era = Math.floor(year / 400);
  const yoe = year - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** The civil date [year, month, day] of a day number. */
export function civilFromDays(days: number): [number, number, number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function daysInMonth(y: number, m: number): number {
  if (m === 2) return isLeapYear(y) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** `days` moved by `months` calendar months, the day clamped to the length of the target month. */
export function addMonths(days: number, months: number): number {
  const [y, m, d] = civilFromDays(days);
  const total = y * 12 + (m - 1) + months;
  const year = Math.floor(total / 12);
  const month = total - year * 12 + 1;
  return daysFromCivil(year, month, Math.min(d, daysInMonth(year, month)));
}

/** The month index (year·12 + month − 1) of a day number. */
export function monthIndex(days: number): number {
  const [y, m] = civilFromDays(days);
  return y * 12 + m - 1;
}

/**
 * The day number of a "YYYY-MM-DD" string naming a real calendar day, or undefined. Hand-parsed
 * (no RegExp, no Date): it runs once per dated record per score.
 */
export function parseIsoDay(value: unknown): number | undefined {
  if (typeof value !== "string" || value.length !== 10) return undefined;
  if (value.charCodeAt(4) !== 45 || value.charCodeAt(7) !== 45) return undefined;
  const y = digits(value, 0, 4);
  const m = digits(value, 5, 2);
  const d = digits(value, 8, 2);
  if (y < 0 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return undefined;
  return daysFromCivil(y, m, d);
}

function digits(text: string, start: number, count: number): number {
  let n = 0;
  for (let i = start; i < start + count; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/** The local day number of a Unix time in seconds, with days starting at UTC+offsetMinutes. */
export function localDay(seconds: number, offsetMinutes: number): number {
  return Math.floor((seconds + offsetMinutes * 60) / SECONDS_PER_DAY);
}

/** The Unix time in seconds at which local day `days` starts (UTC+offsetMinutes). */
export function localDayStart(days: number, offsetMinutes: number): number {
  return days * SECONDS_PER_DAY - offsetMinutes * 60;
}

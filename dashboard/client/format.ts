/** Number and date formatting for the page, fixed to en-US so the report reads the same everywhere. */
const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

export function count(value: number): string {
  return integer.format(value);
}

export function percent(value: number | null, digits = 1): string {
  return value === null ? '–' : `${value.toFixed(digits)}%`;
}

/** An average: one decimal, so that small numbers do not read as zero. */
export function decimal(value: number): string {
  return oneDecimal.format(value);
}

/** A 0–1 share as a percentage. */
export function share(value: number): string {
  return `${oneDecimal.format(value * 100)}%`;
}

/** A duration as `45s`, `15m 05s` or `2h 05m`, to the second. */
export function duration(seconds: number): string {
  const whole = Math.round(seconds);
  const pad = (value: number) => String(value).padStart(2, '0');
  if (whole < 60) return `${whole}s`;
  if (whole < 3600) return `${Math.floor(whole / 60)}m ${pad(whole % 60)}s`;
  return `${Math.floor(whole / 3600)}h ${pad(Math.floor((whole % 3600) / 60))}m`;
}

const currencies = new Map<string, Intl.NumberFormat>();

/** An amount in its currency, `$1,234.50`; currencies are never converted or added. */
export function money(value: number, currency: string): string {
  let format = currencies.get(currency);
  if (!format) {
    format = new Intl.NumberFormat('en-US', { style: 'currency', currency });
    currencies.set(currency, format);
  }
  return format.format(value);
}

/** A change in money, signed: `+$10.00`, `−$5.00`. */
export function signedMoney(value: number, currency: string): string {
  const amount = money(Math.abs(value), currency);
  return value > 0 ? `+${amount}` : value < 0 ? `−${amount}` : amount;
}

/** A 0–1 ratio that may be null (no denominator) as a percentage with one decimal. */
export function ratio(value: number | null): string {
  return value === null ? '–' : `${(value * 100).toFixed(1)}%`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `2024-03` as `Mar 2024`. */
export function monthLabel(month: string): string {
  const [year, m] = month.split('-');
  return `${MONTHS[Number(m) - 1] ?? m} ${year}`;
}

/** An ISO timestamp as `2024-03-15 06:00:00`, in UTC as the server sends it. */
export function timestamp(iso: string): string {
  return iso.replace('T', ' ').slice(0, 19);
}

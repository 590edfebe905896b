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

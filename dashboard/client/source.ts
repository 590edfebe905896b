/**
 * Where the page's data comes from: the dashboard server's API, or the data a report file embeds
 * (the same shapes, computed by the same queries), so the page works the same in both.
 */
import { type FeatureUsage, type MonthRange, type Overview, type ReportData, rangeKey } from '../types';

export interface DataSource {
  overview(): Promise<Overview>;
  featureUsage(range: MonthRange): Promise<readonly FeatureUsage[]>;
}

export function pickSource(): DataSource {
  const embedded = document.getElementById('dashboard-data');
  return embedded ? embeddedSource(JSON.parse(embedded.textContent ?? '{}') as ReportData) : apiSource();
}

function embeddedSource(data: ReportData): DataSource {
  return {
    overview: async () => data.overview,
    async featureUsage(range) {
      const usage = data.featureUsage[rangeKey(range)];
      if (!usage) throw new Error(`this report has no figures for ${range.from} to ${range.to}`);
      return usage;
    },
  };
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { error?: string };
    throw new Error(body.error ?? `${url}: HTTP ${response.status}`);
  }
  return (await response.json()) as T;
}

function apiSource(): DataSource {
  return {
    overview: () => getJson<Overview>('api/overview'),
    featureUsage: (range) =>
      getJson<FeatureUsage[]>(`api/features?${new URLSearchParams({ from: range.from, to: range.to })}`),
  };
}

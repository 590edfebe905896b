import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Queryable } from '../lambdas/warehouse/db';
import { clientBundle } from './bundle';
import { loadReportData } from './data';
import { renderPage } from './page';

export interface WrittenReport {
  readonly path: string;
  readonly bytes: number;
  readonly ranges: number;
  readonly asOfDate: string | null;
}

/**
 * The dashboard as one HTML file that opens offline: the script, ECharts inside it, and the data of
 * every month range the filter can pick, computed by the same queries the server runs.
 */
export async function writeReport(db: Queryable, outFile: string): Promise<WrittenReport> {
  const [data, script] = await Promise.all([loadReportData(db), clientBundle()]);
  const html = renderPage({ script: { inline: script }, data });
  const target = path.resolve(outFile);
  // Written beside the target and renamed, so a reader never sees half a file.
  const partial = `${target}.${process.pid}.partial`;
  await writeFile(partial, html);
  await rename(partial, target);
  return {
    path: target,
    bytes: Buffer.byteLength(html),
    ranges: Object.keys(data.featureUsage).length,
    asOfDate: data.overview.headline?.asOfDate ?? null,
  };
}

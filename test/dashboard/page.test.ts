import { createHash } from 'node:crypto';
import { renderPage } from '../../dashboard/page';
import type { ReportData } from '../../dashboard/types';

// Feature names and companies come from event properties: whatever they hold must stay text.
const hostile = '</script><script>alert(1)</script><!--';
const data = {
  overview: { churn: { atRiskPaying: [{ company: hostile }] } },
  featureUsage: { '2024-01..2024-01': [{ featureName: hostile }] },
} as unknown as ReportData;

test('embedded data and script cannot end their script element early', () => {
  const html = renderPage({ script: { inline: 'var s = "</script><!--";' }, data });
  // Exactly the two script elements the page opens; nothing from the data or the code closes one.
  expect(html.match(/<script/g)).toHaveLength(2);
  expect(html.match(/<\/script>/g)).toHaveLength(2);
  expect(html).not.toContain(hostile);
  const json = /<script type="application\/json" id="dashboard-data">(.*?)<\/script>/s.exec(html)?.[1] ?? '';
  expect(JSON.parse(json)).toEqual(data);
});

test('a report allows only its own inline script, by hash', () => {
  const html = renderPage({ script: { inline: 'console.log(1)' } });
  const hash = createHash('sha256').update('console.log(1)').digest('base64');
  expect(html).toContain(`script-src 'sha256-${hash}'`);
  expect(html).toContain("default-src 'none'");
  expect(renderPage({ script: { src: 'dashboard.js' } })).not.toContain('http-equiv');
});

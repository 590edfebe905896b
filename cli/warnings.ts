/**
 * The AWS SDK warns on every start that its releases from 2027 will need Node.js 22. The CLI runs on
 * the pinned SDK, so the notice is only noise between the progress lines; other warnings still show.
 */
export function hideSdkNodeVersionNotice(): void {
  const emitWarning = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : `${warning.name} ${warning.message}`;
    if (text.includes('NodeVersionSupportWarning') || text.includes('The AWS SDK for JavaScript (v3)'))
      return;
    (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
  }) as typeof process.emitWarning;
}

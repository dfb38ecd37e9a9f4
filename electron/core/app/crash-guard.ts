/**
 * The last line of defence of a long-running process (the headless host, the Electron main
 * process): a promise rejection nobody handled or an exception thrown from a callback is logged
 * with its stack instead of ending the process, so one failing component never takes the app
 * down. Components still handle their own errors; this only catches what slipped through.
 */
export function installCrashGuard(log: (message: string) => void): () => void {
  const describe = (error: unknown): string => (error instanceof Error ? (error.stack ?? error.message) : String(error));
  const onRejection = (reason: unknown): void => log(`unhandled promise rejection (the app keeps running): ${describe(reason)}`);
  const onException = (error: Error): void => log(`uncaught exception (the app keeps running): ${describe(error)}`);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}

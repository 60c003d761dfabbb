// Variables that are not settings of a competition but hooks of one process: read here, where the
// environment is read, and handed to the code that uses them.

/** QTC_TICK_PAUSE_AT: the test hook that pauses a tick at a named stage (server/tick/pausePoint.ts parses it). */
export function tickPauseSpecText(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.QTC_TICK_PAUSE_AT;
}

/** QTC_ADMIN_KEY: the admin key `qtc admin sync` sends to a running server; empty counts as unset. */
export function cliAdminKey(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const key = env.QTC_ADMIN_KEY;
  return key === undefined || key === '' ? undefined : key;
}

/** NO_COLOR (https://no-color.org): any non-empty value turns colours off in pretty logs. */
export function colorsAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return !env.NO_COLOR;
}

/** LOG_FORMAT's raw value (server/observability/logger.ts validates it). */
export function logFormatText(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.LOG_FORMAT;
}

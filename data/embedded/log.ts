import type { Logger } from 'pino';

/** What the embedded services need of a logger; pino's Logger satisfies it. */
export type ServiceLog = Pick<Logger, 'info' | 'warn' | 'error'>;

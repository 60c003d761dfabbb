import pino from 'pino';

/** Tests keep their output for failures; service chatter goes nowhere. */
export const silentLog = pino({ level: 'silent' });

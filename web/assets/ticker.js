// The public activity ticker's lines, from the activity stream's events. Pure (no DOM).
// Trades, versions and halts get a line each; strategy errors and rejected orders are summed up in one
// line per minute ("3 teams had strategy errors: …"), updated as more arrive, so a few failing
// strategies cannot flood the ticker. Times are market time: a trade at its fill, anything else at
// the market minute the page last heard of (ticks and leaderboard updates carry it).
import { describeActivity, unwrapActivity } from './model.js';

/** @param {unknown} value */
const isRecord = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);
const plural = (count, word) => `${count} ${word}${count === 1 ? '' : 's'}`;
const text = (value) => (typeof value === 'string' ? value : '');

/** Kinds summed up per minute: the event type → [line kind, what the line says]. */
const SUMMED = {
  strategy_error: { kind: 'error', say: (teams, count) => `${plural(teams, 'team')} had strategy errors (${plural(count, 'error')})` },
  order_rejected: { kind: 'rejected', say: (teams, count) => `${plural(count, 'order')} rejected, ${plural(teams, 'team')}` },
};
/** Names listed in a summed line before "+N". */
const NAMES_SHOWN = 3;
/** Minutes of summed lines kept (older ones are final). */
const BUCKETS_KEPT = 10;

/**
 * `nameOf(teamId)` gives a team's display name. `push(data)` takes what the stream or
 * `/activity/recent` sends and returns `{key, at, kind, text, replace}` or null: `replace` says the
 * line with that key is already shown and gets the new text.
 */
export function createTicker(nameOf) {
  let marketMinute = null;
  const buckets = new Map();

  const names = (teams) => {
    const all = [...teams].map(nameOf);
    return all.length > NAMES_SHOWN ? `${all.slice(0, NAMES_SHOWN).join(', ')} +${all.length - NAMES_SHOWN}` : all.join(', ');
  };

  return {
    /** The market minute (epoch ms) the page knows of, e.g. the leaderboard's. */
    setMarketMinute(minute) {
      if (typeof minute === 'number' && Number.isFinite(minute) && (marketMinute === null || minute > marketMinute)) marketMinute = minute;
    },

    push(data) {
      const event = unwrapActivity(data);
      if (!isRecord(event) || typeof event.type !== 'string') return null;
      if (event.type === 'tick' || event.type === 'leaderboard') {
        this.setMarketMinute(event.minute);
        return null;
      }
      const at = typeof event.at === 'number' && Number.isFinite(event.at) ? event.at : Date.now();
      const summed = SUMMED[event.type];
      if (summed) {
        const key = `${event.type}:${Math.floor(at / 60_000)}`;
        let bucket = buckets.get(key);
        const replace = bucket !== undefined;
        if (!bucket) {
          bucket = { teams: new Set(), count: 0, at: marketMinute ?? at };
          buckets.set(key, bucket);
          while (buckets.size > BUCKETS_KEPT * 2) buckets.delete(buckets.keys().next().value);
        }
        bucket.count += 1;
        if (typeof event.teamId === 'string') bucket.teams.add(event.teamId);
        return { key, at: bucket.at, kind: summed.kind, text: `${summed.say(bucket.teams.size, bucket.count)}: ${names(bucket.teams)}`, replace };
      }
      const key = isRecord(data) && typeof data.id === 'string' ? data.id : `${event.type}:${at}`;
      const when = event.type === 'trade' ? at : (marketMinute ?? at);
      if (event.type === 'version_rejected') {
        const reason = text(event.reason);
        const team = typeof event.teamId === 'string' ? nameOf(event.teamId) : '';
        return {
          key,
          at: when,
          kind: 'rejected',
          text: `${team}: commit ${text(event.commit).slice(0, 7)} ${reason.startsWith('rejected') ? reason : `refused (${reason})`}`,
          replace: false,
        };
      }
      const line = describeActivity(event, nameOf);
      return line ? { key, at: when, kind: line.kind, text: line.text, replace: false } : null;
    },
  };
}

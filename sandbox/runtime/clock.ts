// Time frozen to the bar being run: Date, Date.now() and Intl's default dates all read `nowMs`.
import { G, ObjectDefineProperty, ObjectGetOwnPropertyDescriptor, RealDate, ReflectApply, ReflectConstruct, StringC } from './intrinsics.ts';

let nowMs = 0;

export function setNow(ms: number): void {
  nowMs = ms;
}

function QtcDate(...args: unknown[]): string | Date {
  if (new.target === undefined) return StringC(new RealDate(nowMs));
  return ReflectConstruct(RealDate, args.length === 0 ? [nowMs] : args, new.target) as Date;
}
QtcDate.prototype = RealDate.prototype;
QtcDate.now = function now() {
  return nowMs;
};
QtcDate.parse = RealDate.parse;
QtcDate.UTC = RealDate.UTC;

// Installed when this module is evaluated (see capabilities.ts for why not in a function).
{
  ObjectDefineProperty(RealDate.prototype, 'constructor', { value: QtcDate, writable: true, enumerable: false, configurable: true });
  ObjectDefineProperty(G, 'Date', { value: QtcDate, writable: true, enumerable: false, configurable: true });
  if (typeof Intl === 'object' && Intl !== null) {
    // format() and formatToParts() without a date read the real clock.
    const dtfProto = Intl.DateTimeFormat.prototype;
    // eslint-disable-next-line @typescript-eslint/unbound-method -- applied with ReflectApply
    const formatGetter = ObjectGetOwnPropertyDescriptor(dtfProto, 'format')!.get!;
    ObjectDefineProperty(dtfProto, 'format', {
      get() {
        const bound = ReflectApply(formatGetter, this, []) as (date: unknown) => string;
        return function format(date: unknown) {
          return bound(date === undefined ? nowMs : date);
        };
      },
      enumerable: false,
      configurable: true,
    });
    // eslint-disable-next-line @typescript-eslint/unbound-method -- applied with ReflectApply
    const formatToParts = dtfProto.formatToParts;
    ObjectDefineProperty(dtfProto, 'formatToParts', {
      value: function formatToParts_(this: Intl.DateTimeFormat, date: unknown) {
        return ReflectApply(formatToParts, this, [date === undefined ? nowMs : date]) as Intl.DateTimeFormatPart[];
      },
      writable: true,
      enumerable: false,
      configurable: true,
    });
  }
}

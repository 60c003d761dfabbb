// Strings the runtime writes into its JSON records, built only from captured intrinsics.
import { JSONstringify, ObjectDefineProperty, ReflectApply, StringSlice } from './intrinsics.ts';

export const sliceOf = (text: string, from: number, to: number): string => ReflectApply(StringSlice, text, [from, to]);

/** A primitive string as JSON text; anything else as "" (never calls strategy code). */
export function quote(text: unknown): string {
  return JSONstringify(typeof text === 'string' ? text : '');
}

export function clip(text: string, max: number): string {
  return text.length > max ? sliceOf(text, 0, max) + '…[truncated]' : text;
}

// Own data properties whatever the key (even "__proto__"), as JSON.parse would create them.
export function defineOwn(target: object, key: string, value: unknown): void {
  ObjectDefineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

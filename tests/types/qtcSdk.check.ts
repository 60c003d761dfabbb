// Type-level check, run by `npm run typecheck` (never executed): the 'qtc' module that strategy
// authors compile against (sandbox/sdk/qtc.d.ts) must declare exactly what the standard library's
// source exports (sandbox/runtime/qtc.ts, bundled into every isolate). A signature changed on one
// side only fails here, naming the export.
import type * as Declared from 'qtc';
import type * as Source from '../../sandbox/runtime/qtc.ts';
import type { api } from '../../sandbox/runtime/teamApi.ts';
import type { BarSlice } from '../../sandbox/runtime/windows.ts';

/** Identity, not mere assignability: optional and required parameters differ, so do `any` and `number`. */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/**
 * What a strategy can see of an export. For a class: its constructor parameters and its instance's
 * public members (private `#` fields are not keys, and methods returning `this` are marked, since
 * each side's `this` is its own class).
 */
type Face<T> = T extends abstract new (...args: infer A) => infer I
  ? { constructorParameters: A; instance: { [K in keyof I]: I[K] extends (...args: infer P) => I ? (...args: P) => 'this' : I[K] } }
  : T;
type Faces<M> = { [K in keyof M]: Face<M[K]> };

type DeclaredValues = typeof Declared;
type SourceValues = typeof Source;
type Name = keyof (DeclaredValues & SourceValues);

/** The exports missing on one side or different between the two (never when they agree). */
type Mismatched = {
  [K in Name]: K extends Extract<keyof DeclaredValues, keyof SourceValues> ? (Equals<Face<DeclaredValues[K]>, Face<SourceValues[K]>> extends true ? never : K) : K;
}[Name];

export const exportsAgree: [Mismatched] extends [never] ? true : { mismatched: Mismatched } = true;

// Both directions of plain assignability as well: when an export differs, these errors say how.
declare const source: Faces<SourceValues>;
declare const declared: Faces<DeclaredValues>;
export const sourceAsDeclared: Faces<DeclaredValues> = source;
export const declaredAsSource: Faces<SourceValues> = declared;

// The exported types.
export const seriesAgrees: Equals<Declared.Series, Source.Series> = true;
export const rollingStateAgrees: Equals<Declared.RollingState, Source.RollingState> = true;
// Every Rolling* class is a RollingIndicator as the d.ts promises.
export const rollingIndicators: Declared.RollingIndicator[] = [] as InstanceType<
  typeof Source.RollingSma | typeof Source.RollingEma | typeof Source.RollingRsi | typeof Source.RollingStdev
>[];

// team.api as the runtime builds it (sandbox/runtime/teamApi.ts) against the TeamApi authors see.
type SourceApi = typeof api;
declare const sourceApi: SourceApi;
declare const declaredApi: Declared.TeamApi;
export const apiAsDeclared: Declared.TeamApi = sourceApi;
export const declaredAsApi: SourceApi = declaredApi;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };
export const apiAgrees: Equals<Mutable<SourceApi>, Mutable<Declared.TeamApi>> = true;
export const barSliceAgrees: Equals<Declared.BarSlice, BarSlice> = true;

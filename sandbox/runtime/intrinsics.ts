// Intrinsics captured when the runtime is evaluated, before any strategy code runs: the strategy
// may replace or tamper with anything it can reach in its realm afterwards (prototypes, JSON,
// Reflect, ...), and the runtime must keep working with the originals.
// Prototype methods are captured unbound on purpose: they are only ever called through ReflectApply.
/* eslint-disable @typescript-eslint/unbound-method */
export const G = globalThis as unknown as Record<string, unknown>;
export const JSONparse = JSON.parse;
export const JSONstringify = JSON.stringify;
export const ObjectDefineProperty = Object.defineProperty;
export const ObjectGetPrototypeOf = Object.getPrototypeOf;
export const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
export const ObjectFreeze = Object.freeze;
export const ObjectKeys = Object.keys;
export const ArrayIsArray = Array.isArray;
export const ArrayFrom = Array.from;
export const NumberIsFinite = Number.isFinite;
export const NumberIsInteger = Number.isInteger;
export const StringC = String;
export const MathImul = Math.imul;
export const MathMax = Math.max;
export const MathMin = Math.min;
export const MathSqrt = Math.sqrt;
export const RealDate = Date;
export const DateUTC = Date.UTC;
export const ReflectConstruct = Reflect.construct;
export const ReflectApply = Reflect.apply;
export const F64 = Float64Array;
export const ArrayBufferC = ArrayBuffer;
export const ArrayBufferTransfer = ArrayBuffer.prototype.transfer as ArrayBuffer['transfer'] | undefined;
export const TypedArraySet = (ObjectGetPrototypeOf(Float64Array.prototype) as Float64Array).set;
export const TypedArrayCopyWithin = (ObjectGetPrototypeOf(Float64Array.prototype) as Float64Array).copyWithin;
export const MapC = Map;
export const ErrorC = Error;
export const ArrayBufferIsView = ArrayBuffer.isView;
export const StringSlice = String.prototype.slice;
export const StringIncludes = String.prototype.includes;
export const StringIsWellFormed = String.prototype.isWellFormed;
export const RegExpExec = RegExp.prototype.exec;

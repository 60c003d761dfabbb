// Removes what a strategy must not have: code generation from strings, shared memory, WebAssembly
// and the GC-observing constructors.
import { G, ObjectDefineProperty, ObjectGetPrototypeOf } from './intrinsics.ts';

// Done when this module is evaluated (entry.ts imports it for that), as statements of the bundle's
// top-level function: V8 compiles that one eagerly and keeps it in the code cache, where a function
// called once would be compiled again in every isolate (~0.2 ms per isolate for the five of them).
{
  for (const name of ['eval', 'SharedArrayBuffer', 'Atomics', 'WebAssembly', 'FinalizationRegistry', 'WeakRef']) {
    delete G[name];
  }
  const codegenMessage = 'Code generation from strings (eval, Function) is disabled in the strategy sandbox';
  const functionSamples = [function () {}, async function () {}, function* () {}, async function* () {}];
  for (const sample of functionSamples) {
    const proto = ObjectGetPrototypeOf(sample) as object;
    const blocked = function Function() {
      throw new EvalError(codegenMessage);
    };
    blocked.prototype = proto;
    ObjectDefineProperty(proto, 'constructor', { value: blocked, writable: false, enumerable: false, configurable: false });
  }
  ObjectDefineProperty(G, 'Function', {
    value: (ObjectGetPrototypeOf(functionSamples[0]) as { constructor: unknown }).constructor,
    writable: false,
    enumerable: false,
    configurable: false,
  });
}

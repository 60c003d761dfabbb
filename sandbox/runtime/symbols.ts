// Symbols cross the boundary as indices into `symbolNames`, which the host extends whenever it
// has new names for this isolate (layout in sandbox/child/payload.ts).
import { JSONparse, StringC } from './intrinsics.ts';

export const symbolNames: string[] = [];

export function learnNames(from: number, json: string): void {
  if (json === '') return;
  const list = JSONparse(json) as unknown[];
  for (let i = 0; i < list.length; i++) symbolNames[from + i] = StringC(list[i]);
}

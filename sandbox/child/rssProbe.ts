// The resident set size of this process, read cheaply enough to do after every team's call:
// `process.memoryUsage.rss()` opens and parses /proc/self/stat each time (~15 µs); a pread of
// /proc/self/statm on a file descriptor kept open costs a few µs. Elsewhere than Linux it falls
// back to Node's call.
import { openSync, readSync } from 'node:fs';

export class RssProbe {
  readonly #buffer = Buffer.alloc(128);
  readonly #fd: number | null;
  readonly #pageSize: number;

  constructor() {
    this.#fd = openStatm();
    // statm counts pages; the page size is learnt once by comparing with Node's figure.
    const pages = this.#pages();
    this.#pageSize = pages > 0 ? 2 ** Math.round(Math.log2(process.memoryUsage.rss() / pages)) : 0;
  }

  /** Bytes resident now. */
  read(): number {
    if (this.#fd === null || this.#pageSize === 0) return process.memoryUsage.rss();
    return this.#pages() * this.#pageSize;
  }

  #pages(): number {
    if (this.#fd === null) return 0;
    return residentPages(this.#buffer, readSync(this.#fd, this.#buffer, 0, this.#buffer.length, 0));
  }
}

/**
 * The resident pages in the first `length` bytes of /proc/self/statm ("size resident shared text lib
 * data dt": the second field); 0 when there is none.
 */
export function residentPages(statm: Uint8Array, length: number): number {
  // A loop, not Buffer#indexOf, which makes a native call to search a few bytes.
  let at = 0;
  while (at < length && statm[at] !== 32) at++;
  at++;
  let pages = 0;
  for (; at < length; at++) {
    const digit = statm[at]! - 48;
    if (digit < 0 || digit > 9) break;
    pages = pages * 10 + digit;
  }
  return pages;
}

function openStatm(): number | null {
  try {
    return openSync('/proc/self/statm', 'r');
  } catch {
    return null;
  }
}

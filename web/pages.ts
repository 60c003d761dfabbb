import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Static pages, read once at start: they are small and change only with a deploy. */
export function loadPage(name: 'status'): string {
  return readFileSync(path.join(import.meta.dirname, 'pages', `${name}.html`), 'utf8');
}

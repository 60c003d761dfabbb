import { Document, isMap, isNode, isScalar, isSeq, parseDocument, type YAMLMap } from 'yaml';
import { describeRegistryErrors, parseRegistry, type RegistryError } from './load.ts';
import type { Registry, TeamEntry } from './schema.ts';

/**
 * Edits of team_registry.yaml that keep the rest of the file byte for byte: the yaml Document
 * API finds where things are (node ranges), and the edit is spliced into the original text.
 * (Re-printing the whole Document would keep the comments but not their alignment, the spacing
 * of flow lists, or where a comment sits.) Every edit is checked by parsing the result: it must
 * be valid and differ from the old registry by exactly the intended change.
 */

/** The fields `qtc admin teams add` writes; the rest take the schema's defaults. */
export interface NewTeam {
  id: string;
  name: string;
  repo: string;
  branch?: string;
  path?: string;
  entry?: string;
  params?: Record<string, unknown>;
  enabled?: boolean;
}

export type RegistryEdit =
  | { kind: 'add-team'; team: NewTeam }
  | { kind: 'set-enabled'; teamId: string; enabled: boolean }
  /** Takes the team out of the file; the server then marks it removed in Postgres (its history stays). */
  | { kind: 'remove-team'; teamId: string };

export type EditResult = { ok: true; text: string; registry: Registry; changed: boolean } | { ok: false; message: string; errors: RegistryError[] };

function refuse(message: string, errors: RegistryError[] = []): EditResult {
  return { ok: false, message, errors };
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** The offset just after the line holding `offset` (after its newline; the text gets one if it ends there). */
function afterLine(text: string, offset: number): { text: string; at: number } {
  const newline = text.indexOf('\n', offset);
  if (newline !== -1) return { text, at: newline + 1 };
  return { text: `${text}\n`, at: text.length + 1 };
}

function splice(text: string, at: number, remove: number, insert: string): string {
  return text.slice(0, at) + insert + text.slice(at + remove);
}

/** A team as YAML block lines, indented so that its dash sits at `dashColumn`. */
function teamBlock(team: NewTeam, dashColumn: number): string {
  const ordered: Record<string, unknown> = { id: team.id, name: team.name, repo: team.repo };
  for (const field of ['branch', 'path', 'entry', 'params', 'enabled'] as const) {
    if (team[field] !== undefined) ordered[field] = team[field];
  }
  const doc = new Document([ordered]);
  const params = doc.getIn([0, 'params'], true);
  if (isMap(params)) params.flow = true;
  const pad = ' '.repeat(dashColumn);
  return doc
    .toString({ lineWidth: 0 })
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => `${pad}${line}\n`)
    .join('');
}

function addTeam(text: string, doc: Document.Parsed, team: NewTeam): string | EditResult {
  const teams = doc.get('teams', true);
  if (teams === undefined) {
    const base = text === '' || text.endsWith('\n') ? text : `${text}\n`;
    return `${base}teams:\n${teamBlock(team, 2)}`;
  }
  if (isScalar(teams) && teams.value === null) {
    const { text: withNewline, at } = afterLine(text, teams.range![0]);
    return splice(withNewline, at, 0, teamBlock(team, 2));
  }
  if (!isSeq(teams)) return refuse('"teams" in the registry is not a list; fix the file by hand first');
  if (teams.flow) {
    if (teams.items.length > 0) return refuse('"teams" is written as a flow list [ … ]; rewrite it as a block list (one "- id: …" per team) to edit it with qtc admin');
    // `teams: []` (maybe with a comment after it): drop the brackets, put the team on the next lines.
    const [start, end] = teams.range!;
    const newline = text.indexOf('\n', end);
    const lineEnd = newline === -1 ? text.length : newline;
    let cut = start;
    let stop = end;
    if (text.slice(end, lineEnd).trim() === '') {
      // Nothing follows the brackets: take the spaces before them too, leaving `teams:`.
      while (cut > 0 && (text[cut - 1] === ' ' || text[cut - 1] === '\t')) cut--;
      stop = lineEnd;
    }
    const { text: withNewline, at } = afterLine(splice(text, cut, stop - cut, ''), cut);
    return splice(withNewline, at, 0, teamBlock(team, 2));
  }
  const first = teams.range![0];
  const dashColumn = first - lineStart(text, first);
  const end = teams.range![1];
  const { text: withNewline, at } = end > 0 && text[end - 1] === '\n' ? { text, at: end } : afterLine(text, end);
  return splice(withNewline, at, 0, teamBlock(team, dashColumn));
}

function setEnabled(text: string, doc: Document.Parsed, teamId: string, enabled: boolean): string | EditResult {
  const teams = doc.get('teams', true);
  const item = isSeq(teams) ? teams.items.find((candidate): candidate is YAMLMap => isMap(candidate) && candidate.get('id') === teamId) : undefined;
  if (!item) return refuse(`no team "${teamId}" in the registry`);
  const value = String(enabled);
  const pair = item.items.find((candidate) => isScalar(candidate.key) && candidate.key.value === 'enabled');
  if (pair) {
    if (!isScalar(pair.value) || !pair.value.range) return refuse(`teams entry "${teamId}" has an "enabled" that is not a plain value; fix it by hand`);
    const [start, end] = pair.value.range;
    return splice(text, start, end - start, value);
  }
  const end = item.range![1];
  if (item.flow) {
    // `{ id: x, name: X }`: right after the last value, so the spacing before `}` stays as it was.
    const lastValue = item.items.at(-1)?.value;
    const lastEnd = isNode(lastValue) ? lastValue.range?.[1] : undefined;
    if (lastEnd === undefined) return refuse(`teams entry "${teamId}" has an unusual layout; fix it by hand`);
    return splice(text, lastEnd, 0, `, enabled: ${value}`);
  }
  const firstKey = item.items[0]?.key;
  if (!isScalar(firstKey) || !firstKey.range) return refuse(`teams entry "${teamId}" has an unusual layout; fix it by hand`);
  const indent = ' '.repeat(firstKey.range[0] - lineStart(text, firstKey.range[0]));
  const { text: withNewline, at } = end > 0 && text[end - 1] === '\n' ? { text, at: end } : afterLine(text, end);
  return splice(withNewline, at, 0, `${indent}enabled: ${value}\n`);
}

function removeTeam(text: string, doc: Document.Parsed, teamId: string): string | EditResult {
  const teams = doc.get('teams', true);
  const index = isSeq(teams) ? teams.items.findIndex((candidate) => isMap(candidate) && candidate.get('id') === teamId) : -1;
  if (!isSeq(teams) || index === -1) return refuse(`no team "${teamId}" in the registry`);
  if (teams.flow) return refuse('"teams" is written as a flow list [ … ]; rewrite it as a block list (one "- id: …" per team) to edit it with qtc admin');
  const item = teams.items[index] as YAMLMap;
  const [itemStart, valueEnd] = item.range!;
  const start = lineStart(text, itemStart);
  // The dash must open the item's first line (`- id: …`), so removing whole lines removes exactly the item.
  if (!/^[ \t]*-[ \t]+$/.test(text.slice(start, itemStart))) return refuse(`teams entry "${teamId}" has an unusual layout; remove it by hand`);
  // A block entry ends after its last line's newline; a flow entry (`- { … }  # comment`) at the end of its line.
  const { text: withNewline, at: end } = valueEnd > 0 && text[valueEnd - 1] === '\n' ? { text, at: valueEnd } : afterLine(text, valueEnd);
  const removed = splice(withNewline, start, end - start, '');
  if (teams.items.length > 1) return removed;
  // It was the only team: `teams:` alone would mean null, so it becomes `teams: []`.
  const root = doc.contents;
  const pair = isMap(root) ? root.items.find((candidate) => isScalar(candidate.key) && candidate.key.value === 'teams') : undefined;
  const keyEnd = pair && isScalar(pair.key) ? pair.key.range?.[1] : undefined;
  const colon = keyEnd === undefined ? -1 : removed.indexOf(':', keyEnd);
  if (colon === -1 || colon > start) return refuse('the "teams:" line has an unusual layout; remove the team by hand');
  return splice(removed, colon + 1, 0, ' []');
}

/** True when `after` differs from `before` by exactly the edit: nothing else in the file changed meaning. */
function onlyTheEdit(before: Registry, after: Registry, edit: RegistryEdit): boolean {
  if (edit.kind === 'set-enabled') {
    const expected = { ...before, teams: before.teams.map((team) => (team.id === edit.teamId ? { ...team, enabled: edit.enabled } : team)) };
    return JSON.stringify(after) === JSON.stringify(expected);
  }
  if (edit.kind === 'remove-team') {
    return JSON.stringify(after) === JSON.stringify({ ...before, teams: before.teams.filter((team) => team.id !== edit.teamId) });
  }
  const added = after.teams.at(-1);
  if (!added || JSON.stringify({ ...after, teams: after.teams.slice(0, -1) }) !== JSON.stringify(before)) return false;
  return Object.entries(edit.team).every(([key, value]) => JSON.stringify(added[key as keyof TeamEntry]) === JSON.stringify(value));
}

/**
 * Applies one edit to registry text. Refuses (with the reason) when the file is invalid to
 * begin with, when the edit makes no sense (duplicate or unknown team), or when the result
 * would not be a valid registry.
 */
export function editRegistryText(text: string, edit: RegistryEdit): EditResult {
  const before = parseRegistry(text);
  if (!before.ok) return refuse(`the registry is invalid now, fix it first: ${describeRegistryErrors(before.errors)}`, before.errors);
  if (edit.kind === 'add-team' && before.registry.teams.some((team) => team.id === edit.team.id)) {
    return refuse(`team "${edit.team.id}" is already in the registry`);
  }
  if (edit.kind === 'set-enabled') {
    const team = before.registry.teams.find((candidate) => candidate.id === edit.teamId);
    if (team?.enabled === edit.enabled) return { ok: true, text, registry: before.registry, changed: false };
  }
  const doc = parseDocument(text, { keepSourceTokens: false });
  const edited =
    edit.kind === 'add-team' ? addTeam(text, doc, edit.team) : edit.kind === 'remove-team' ? removeTeam(text, doc, edit.teamId) : setEnabled(text, doc, edit.teamId, edit.enabled);
  if (typeof edited !== 'string') return edited;
  const after = parseRegistry(edited);
  if (!after.ok) return refuse(`the edit would make the registry invalid, so the file was not changed: ${describeRegistryErrors(after.errors)}`, after.errors);
  if (!onlyTheEdit(before.registry, after.registry, edit)) {
    return refuse('the edit could not be applied exactly to this file layout, so the file was not changed; edit it by hand');
  }
  return { ok: true, text: edited, registry: after.registry, changed: true };
}

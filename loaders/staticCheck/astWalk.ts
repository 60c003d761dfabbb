import { FLIPPED_ALIAS_KEYS, VISITOR_KEYS } from '@babel/types';
import type { Node } from '@babel/types';

export interface Visit {
  node: Node;
  parent: Node | null;
  /** The key of `parent` holding this node (e.g. 'property' of a MemberExpression). */
  parentKey: string | null;
  /** True inside TypeScript-only syntax (annotations, interfaces, `declare`), which compiling erases. */
  typeOnly: boolean;
}

// Syntax that TypeScript erases: nothing in it runs, so banned names in it (`x: Function`,
// `typeof globalThis`) are harmless and not reported.
const TYPE_ONLY_NODE_TYPES: ReadonlySet<string> = new Set([
  ...(FLIPPED_ALIAS_KEYS.TSType ?? []),
  'TSTypeAnnotation',
  'TSTypeParameterDeclaration',
  'TSTypeParameterInstantiation',
  'TSInterfaceDeclaration',
  'TSTypeAliasDeclaration',
  'TSDeclareFunction',
  'TSDeclareMethod',
  'TSIndexSignature',
]);

function isTypeOnlyNode(node: Node): boolean {
  if (TYPE_ONLY_NODE_TYPES.has(node.type)) return true;
  if ('declare' in node && node.declare === true) return true;
  switch (node.type) {
    case 'ImportDeclaration':
    case 'ImportSpecifier':
      return node.importKind === 'type';
    case 'ExportNamedDeclaration':
    case 'ExportSpecifier':
      return node.exportKind === 'type';
    case 'ClassProperty':
      return node.abstract === true;
    default:
      return false;
  }
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/**
 * Visits every node of a tree, parents before children, with an explicit stack so deeply
 * nested code cannot overflow the host's call stack.
 */
export function walkAst(root: Node, visit: (step: Visit) => void): void {
  const stack: Visit[] = [{ node: root, parent: null, parentKey: null, typeOnly: isTypeOnlyNode(root) }];
  for (let step = stack.pop(); step !== undefined; step = stack.pop()) {
    visit(step);
    const keys = VISITOR_KEYS[step.node.type] ?? [];
    const fields = step.node as unknown as Record<string, unknown>;
    const children: Visit[] = [];
    for (const key of keys) {
      const value = fields[key];
      const values: unknown[] = Array.isArray(value) ? value : [value];
      for (const child of values) {
        if (!isNode(child)) continue;
        children.push({ node: child, parent: step.node, parentKey: key, typeOnly: step.typeOnly || isTypeOnlyNode(child) });
      }
    }
    // Reversed so nodes are visited in source order.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
}

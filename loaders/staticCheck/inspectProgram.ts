import type { Node } from '@babel/types';
import { walkAst, type Visit } from './astWalk.ts';
import { finding, type Finding, type Position, type RuleId } from './rules.ts';

/** An import (or re-export) found in a file, to be followed by the import-graph walk. */
export interface ImportReference {
  specifier: string;
  position: Position;
  /** `import type …` / `export type … from`: erased by compiling, may name a declaration file. */
  typeOnly: boolean;
}

export interface ProgramInspection {
  findings: Finding[];
  imports: ImportReference[];
  nodeCount: number;
  /** Whether the module has a default export (`export default …` or `export { x as default }`). */
  hasDefaultExport: boolean;
}

// Names whose mere use is reported, wherever they appear as a variable: as a reference or
// as a declaration. Declaring a local of the same name (shadowing) is not an excuse; keeping
// the rule blind to scopes keeps it simple and impossible to trick with scoping tricks.
const BANNED_NAMES: ReadonlyMap<string, RuleId> = new Map<string, RuleId>([
  ['require', 'no-require'],
  ['eval', 'no-eval'],
  ['Function', 'no-function-constructor'],
  ['Proxy', 'no-proxy'],
  ['Reflect', 'no-reflect'],
  ['globalThis', 'no-global-object'],
  ['global', 'no-global-object'],
  ['self', 'no-global-object'],
  ['window', 'no-global-object'],
  ['process', 'no-process'],
  ['SharedArrayBuffer', 'no-shared-memory'],
  ['Atomics', 'no-shared-memory'],
  ['WebAssembly', 'no-webassembly'],
]);

// Property names that lead along or change the prototype chain: the classic way from any
// object to `Function` and out of a sandbox.
const PROTOTYPE_PROPERTIES: ReadonlyMap<string, RuleId> = new Map<string, RuleId>([
  ['constructor', 'no-constructor-access'],
  ['__proto__', 'no-proto-access'],
  ['prototype', 'no-prototype-access'],
  ['getPrototypeOf', 'no-prototype-access'],
  ['setPrototypeOf', 'no-prototype-access'],
]);

// Property names that install accessors (code that runs when someone reads a property).
const ACCESSOR_PROPERTIES: ReadonlySet<string> = new Set(['__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__', 'defineProperty', 'defineProperties']);

// Computed keys are folded when they are built from literals only ('con' + `structor`);
// anything else is left to the runtime. The depth cap keeps folding cheap on absurd input.
const MAX_FOLD_DEPTH = 64;

function staticString(node: Node, depth = 0): string | null {
  if (depth > MAX_FOLD_DEPTH) return null;
  switch (node.type) {
    case 'StringLiteral':
      return node.value;
    case 'NumericLiteral':
      return String(node.value);
    case 'TemplateLiteral': {
      let text = '';
      for (let i = 0; i < node.quasis.length; i++) {
        const cooked = node.quasis[i]?.value.cooked;
        if (cooked === undefined || cooked === null) return null;
        text += cooked;
        const expression = node.expressions[i];
        if (expression === undefined) continue;
        const value = staticString(expression, depth + 1);
        if (value === null) return null;
        text += value;
      }
      return text;
    }
    case 'BinaryExpression': {
      if (node.operator !== '+') return null;
      const left = staticString(node.left, depth + 1);
      const right = left === null ? null : staticString(node.right, depth + 1);
      return left === null || right === null ? null : left + right;
    }
    case 'ParenthesizedExpression':
    case 'TSAsExpression':
    case 'TSSatisfiesExpression':
    case 'TSNonNullExpression':
    case 'TSTypeAssertion':
      return staticString(node.expression, depth + 1);
    default:
      return null;
  }
}

/** The property name a key denotes, when it is known without running the code. */
function propertyName(key: Node, computed: boolean): string | null {
  if (computed) return staticString(key);
  if (key.type === 'Identifier') return key.name;
  if (key.type === 'StringLiteral') return key.value;
  return null;
}

function positionOf(node: Node): Position {
  const start = node.loc?.start;
  return start ? { line: start.line, column: start.column + 1 } : { line: 1, column: 1 };
}

/** Whether an Identifier at this place is a variable (reference or declaration) rather than a property name or label. */
function isVariablePosition(parent: Node | null, parentKey: string | null): boolean {
  if (parent === null) return true;
  switch (parent.type) {
    case 'MemberExpression':
    case 'OptionalMemberExpression':
      return parentKey !== 'property' || parent.computed;
    case 'ObjectProperty':
    case 'ObjectMethod':
    case 'ClassMethod':
    case 'ClassPrivateMethod':
    case 'ClassProperty':
    case 'ClassPrivateProperty':
    case 'ClassAccessorProperty':
      return parentKey !== 'key' || ('computed' in parent && parent.computed);
    case 'LabeledStatement':
    case 'BreakStatement':
    case 'ContinueStatement':
      return parentKey !== 'label';
    case 'ImportSpecifier':
      return parentKey !== 'imported';
    case 'ExportSpecifier':
    case 'ExportNamespaceSpecifier':
    case 'ExportDefaultSpecifier':
      return parentKey !== 'exported';
    case 'MetaProperty':
    case 'PrivateName':
    case 'TSEnumMember':
      return false;
    default:
      return true;
  }
}

function isDefaultExportSpecifier(specifier: Node): boolean {
  if (specifier.type !== 'ExportSpecifier' || specifier.exportKind === 'type') return false;
  const exported = specifier.exported;
  return exported.type === 'Identifier' ? exported.name === 'default' : exported.value === 'default';
}

/**
 * Applies the static-check rules to one parsed file: a pure function of the tree.
 * Returns the findings, the imports to follow and the node count (for the size limit).
 */
export function inspectProgram(ast: Node, file: string): ProgramInspection {
  const findings: Finding[] = [];
  const imports: ImportReference[] = [];
  let nodeCount = 0;
  let hasDefaultExport = false;
  const report = (rule: RuleId, at: Node, message?: string): void => {
    findings.push(finding(rule, file, positionOf(at), message));
  };

  const checkPrototypeProperty = (key: Node, computed: boolean, what: string): void => {
    const name = propertyName(key, computed);
    const rule = name === null ? undefined : PROTOTYPE_PROPERTIES.get(name);
    if (rule !== undefined && name !== null) report(rule, key, `${what} \`${name}\` is not allowed.`);
  };

  const collectImport = (node: Node): void => {
    switch (node.type) {
      case 'ImportDeclaration':
        imports.push({ specifier: node.source.value, position: positionOf(node.source), typeOnly: node.importKind === 'type' });
        return;
      case 'ExportNamedDeclaration':
        if (node.exportKind !== 'type' && node.specifiers.some(isDefaultExportSpecifier)) hasDefaultExport = true;
        if (node.source) {
          imports.push({ specifier: node.source.value, position: positionOf(node.source), typeOnly: node.exportKind === 'type' });
        }
        return;
      case 'ExportDefaultDeclaration':
        hasDefaultExport = true;
        return;
      case 'ExportAllDeclaration':
        imports.push({ specifier: node.source.value, position: positionOf(node.source), typeOnly: node.exportKind === 'type' });
        return;
      default:
        return;
    }
  };

  walkAst(ast, ({ node, parent, parentKey, typeOnly }: Visit) => {
    nodeCount++;
    // Module imports only exist at the top level (not inside `declare module` blocks), and
    // type-only ones are followed too: they must name 'qtc' or a file of the folder.
    if (parent?.type === 'Program') collectImport(node);
    if (typeOnly) return;
    switch (node.type) {
      case 'Identifier': {
        const rule = BANNED_NAMES.get(node.name);
        if (rule !== undefined && isVariablePosition(parent, parentKey)) {
          report(rule, node, `\`${node.name}\` is not available to strategies.`);
        }
        return;
      }
      case 'MemberExpression':
      case 'OptionalMemberExpression': {
        if (node.property.type === 'PrivateName') return;
        const name = propertyName(node.property, node.computed);
        if (name === null) return;
        const prototypeRule = PROTOTYPE_PROPERTIES.get(name);
        if (prototypeRule !== undefined) {
          report(prototypeRule, node.property, `Accessing \`.${name}\` is not allowed.`);
        } else if (ACCESSOR_PROPERTIES.has(name)) {
          report('no-getter-setter', node.property, `\`${name}\` (defining accessors or property descriptors) is not allowed.`);
        } else if (name === 'callee' && node.object.type === 'Identifier' && node.object.name === 'arguments') {
          report('no-arguments-callee', node.property);
        }
        return;
      }
      case 'ObjectPattern':
        for (const property of node.properties) {
          if (property.type === 'ObjectProperty') checkPrototypeProperty(property.key, property.computed, 'Destructuring');
        }
        return;
      case 'ObjectExpression':
        for (const property of node.properties) {
          if (property.type === 'SpreadElement') continue;
          // `{ __proto__: x }` sets the prototype of the new object.
          if (propertyName(property.key, property.computed) === '__proto__') {
            report('no-proto-access', property.key, 'An object literal key `__proto__` is not allowed.');
          }
        }
        return;
      case 'ObjectMethod':
      case 'ClassMethod':
      case 'ClassPrivateMethod':
        if (node.kind === 'get' || node.kind === 'set') {
          report('no-getter-setter', node, `A ${node.kind === 'get' ? 'getter' : 'setter'} (\`${node.kind} …()\`) is not allowed.`);
        }
        return;
      case 'ClassAccessorProperty':
        report('no-getter-setter', node, 'An `accessor` field is not allowed.');
        return;
      case 'CallExpression': {
        const callee = node.callee;
        if (callee.type === 'Import') {
          report('no-dynamic-import', node);
        } else if (
          callee.type === 'MemberExpression' &&
          callee.object.type === 'Identifier' &&
          callee.object.name === 'Object' &&
          callee.property.type !== 'PrivateName' &&
          propertyName(callee.property, callee.computed) === 'create' &&
          node.arguments.length >= 2
        ) {
          // The second argument of Object.create is a table of property descriptors (getters included).
          report('no-getter-setter', callee.property, '`Object.create` with property descriptors is not allowed.');
        }
        return;
      }
      case 'ImportExpression':
        report('no-dynamic-import', node);
        return;
      case 'MetaProperty':
        if (node.meta.name === 'import' && node.property.name === 'meta') report('no-import-meta', node);
        return;
      case 'WithStatement':
        report('no-with', node);
        return;
      case 'TSImportEqualsDeclaration':
        if (node.moduleReference.type === 'TSExternalModuleReference') {
          report('no-require', node, '`import … = require(…)` is not allowed.');
        }
        return;
      default:
        return;
    }
  });

  return { findings, imports, nodeCount, hasDefaultExport };
}

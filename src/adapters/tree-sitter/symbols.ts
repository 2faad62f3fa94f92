/**
 * @module adapters/tree-sitter/symbols — which tree-sitter nodes are symbols (function, class, …),
 * and their names, for the 12 grammars of `PARSED_LANGUAGES`. Node type names come from each
 * grammar's `node-types.json` (tree-sitter-typescript, -python, -go, -rust, -java, -c, -cpp,
 * -c-sharp, -ruby, -php as packaged by @repomix/tree-sitter-wasms).
 */
import type { Node } from 'web-tree-sitter';
import type { SymbolKind } from '../../core/types.js';

/** A symbol found at a node: its kind, name, and the declaration node itself (wrappers unwrapped). */
export interface SymbolInfo {
  readonly kind: SymbolKind;
  readonly name: string;
  /** The declaration node (e.g. the `class_declaration` inside an `export_statement`). */
  readonly target: Node;
}

/** Node type → symbol kind. Types are unique enough across grammars to share one table. */
const KINDS: Readonly<Record<string, SymbolKind>> = {
  // functions
  function_declaration: 'function',
  generator_function_declaration: 'function',
  function_definition: 'function',
  function_item: 'function',
  function_signature_item: 'function',
  local_function_statement: 'function',
  macro_definition: 'function',
  method: 'function',
  // methods
  method_definition: 'method',
  method_declaration: 'method',
  constructor_declaration: 'method',
  destructor_declaration: 'method',
  operator_declaration: 'method',
  singleton_method: 'method',
  abstract_method_signature: 'method',
  // types
  class_declaration: 'class',
  abstract_class_declaration: 'class',
  class_definition: 'class',
  class_specifier: 'class',
  class: 'class',
  record_declaration: 'class',
  interface_declaration: 'interface',
  annotation_type_declaration: 'interface',
  type_alias_declaration: 'type',
  type_item: 'type',
  type_definition: 'type',
  alias_declaration: 'type',
  enum_declaration: 'enum',
  enum_item: 'enum',
  enum_specifier: 'enum',
  struct_item: 'struct',
  struct_specifier: 'struct',
  struct_declaration: 'struct',
  union_item: 'struct',
  union_specifier: 'struct',
  trait_item: 'trait',
  trait_declaration: 'trait',
  impl_item: 'impl',
  namespace_definition: 'namespace',
  namespace_declaration: 'namespace',
  file_scoped_namespace_declaration: 'namespace',
  internal_module: 'namespace',
  mod_item: 'module',
  module: 'module',
};

/** Kinds whose `function` members are methods. */
const CLASS_LIKE: ReadonlySet<SymbolKind> = new Set([
  'class',
  'struct',
  'interface',
  'trait',
  'impl',
  'enum',
]);

/** Nodes that wrap one declaration (export, decorators, templates, `declare`). */
const WRAPPERS: ReadonlySet<string> = new Set([
  'export_statement',
  'decorated_definition',
  'template_declaration',
  'ambient_declaration',
]);

/** Identifier-like node types that end a C/C++ declarator chain. */
const DECLARATOR_NAMES: ReadonlySet<string> = new Set([
  'identifier',
  'field_identifier',
  'type_identifier',
  'qualified_identifier',
  'operator_name',
  'destructor_name',
  'primitive_type',
]);

/** Values of a JS/TS variable that make it a named function or class. */
const FUNCTION_VALUES: ReadonlySet<string> = new Set([
  'arrow_function',
  'function_expression',
  'function',
  'generator_function',
]);

/** Comment-like nodes and attributes that belong to the declaration that follows them. */
export function isLeadingTrivia(type: string): boolean {
  return type.includes('comment') || type === 'attribute_item' || type === 'decorator';
}

/** First line of a name, at most 100 characters. */
function cleanName(text: string): string | null {
  const nl = text.indexOf('\n');
  const line = (nl >= 0 ? text.slice(0, nl) : text).trim();
  return line.length === 0 ? null : line.slice(0, 100);
}

/** Name of a C/C++ declaration: follow `declarator` fields to an identifier. */
function declaratorName(node: Node): string | null {
  let d = node.childForFieldName('declarator');
  for (let i = 0; d !== null && i < 16; i++) {
    if (DECLARATOR_NAMES.has(d.type)) return cleanName(d.text);
    const next: Node | null =
      d.childForFieldName('declarator') ??
      d.namedChildren.find((c) => c?.type.endsWith('declarator')) ??
      null;
    d = next;
  }
  return null;
}

/** JS/TS `const f = () => …` / `const C = class …`: the first declarator's name when its value is a function or class. */
function variableSymbol(node: Node): SymbolInfo | null {
  const declarator = node.namedChildren.find((c) => c?.type === 'variable_declarator');
  if (!declarator) return null;
  const value = declarator.childForFieldName('value');
  const name = declarator.childForFieldName('name');
  if (!value || !name) return null;
  const kind: SymbolKind | null = FUNCTION_VALUES.has(value.type)
    ? 'function'
    : value.type === 'class'
      ? 'class'
      : null;
  const text = cleanName(name.text);
  return kind && text ? { kind, name: text, target: node } : null;
}

/** Go `type X struct {…}`: struct, interface or type, by the first spec's type. */
function goTypeSymbol(node: Node): SymbolInfo | null {
  const spec = node.namedChildren.find((c) => c?.type === 'type_spec' || c?.type === 'type_alias');
  if (!spec) return null;
  const name = spec.childForFieldName('name');
  const text = name ? cleanName(name.text) : null;
  if (!text) return null;
  const type = spec.childForFieldName('type')?.type;
  const kind: SymbolKind =
    type === 'struct_type' ? 'struct' : type === 'interface_type' ? 'interface' : 'type';
  return { kind, name: text, target: node };
}

/**
 * The symbol declared by `node`, or null (statements, imports, expressions, anonymous types).
 * `parentKind` is the kind of the enclosing symbol: a function inside a class-like is a method.
 */
export function describeSymbol(node: Node, parentKind: SymbolKind | null): SymbolInfo | null {
  let n = node;
  for (let i = 0; i < 4 && WRAPPERS.has(n.type); i++) {
    const inner: Node | null =
      n.childForFieldName('declaration') ??
      n.childForFieldName('definition') ??
      n.namedChildren.find(
        (c) =>
          c !== null &&
          c.type !== 'decorator' &&
          !isLeadingTrivia(c.type) &&
          c.type !== 'template_parameter_list',
      ) ??
      null;
    if (inner === null) return null;
    n = inner;
  }
  const type = n.type;
  if (type === 'expression_statement') {
    const inner = n.firstNamedChild;
    return inner !== null && inner.type === 'internal_module' ? describeSymbol(inner, parentKind) : null;
  }
  let info: SymbolInfo | null;
  if (type === 'lexical_declaration' || type === 'variable_declaration') info = variableSymbol(n);
  else if (type === 'type_declaration') info = goTypeSymbol(n);
  else {
    const kind = KINDS[type];
    if (kind === undefined) return null;
    let name: string | null = null;
    const nameNode = n.childForFieldName('name');
    if (nameNode !== null) name = cleanName(nameNode.text);
    else if (type === 'impl_item') {
      const implType = n.childForFieldName('type');
      const trait = n.childForFieldName('trait');
      name = implType ? cleanName(trait ? `${trait.text} for ${implType.text}` : implType.text) : null;
    } else if (type === 'function_definition' || type === 'type_definition') name = declaratorName(n);
    if (name === null) return null;
    info = { kind, name, target: n };
  }
  if (info && info.kind === 'function' && parentKind !== null && CLASS_LIKE.has(parentKind)) {
    return { ...info, kind: 'method' };
  }
  return info;
}

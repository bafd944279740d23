import * as Option from "effect/Option"
import * as SchemaAST from "effect/SchemaAST"

/**
 * Effect words a refusal with the field's description when it has one ("Expected Rows per page (default 50),
 * actual 0"): that is the field's help, which the client already has, not what was wrong. These helpers find the
 * described node at the refused path and word the expectation as Effect does without the description
 * ("Int & between(0, 3600)", `ReadonlyArray<"cpu" | "mem">`).
 */

const MAX_DEPTH = 12

/** The nodes a value at this point may be checked against: unions open up, transformations show their encoded side. */
const candidates = (ast: SchemaAST.AST, depth = 0): ReadonlyArray<SchemaAST.AST> => {
  if (depth > MAX_DEPTH) return [ast]
  switch (ast._tag) {
    case "Union":
      return [ast, ...ast.types.flatMap((t) => candidates(t, depth + 1))]
    case "Transformation":
      return [ast, ...candidates(ast.from, depth + 1)]
    case "Refinement":
      return [ast, ...candidates(ast.from, depth + 1)]
    case "Suspend":
      return [ast, ...candidates(ast.f(), depth + 1)]
    default:
      return [ast]
  }
}

const childAt = (ast: SchemaAST.AST, key: PropertyKey): ReadonlyArray<SchemaAST.AST> => {
  if (ast._tag === "TypeLiteral") {
    const property = ast.propertySignatures.find((p) => p.name === key)
    if (property !== undefined) return [property.type]
    return ast.indexSignatures.map((s) => s.type)
  }
  if (ast._tag === "TupleType" && typeof key === "number") {
    const element = ast.elements[key]
    return element !== undefined ? [element.type] : ast.rest.map((r) => r.type)
  }
  return []
}

const nodesAt = (root: SchemaAST.AST, path: ReadonlyArray<PropertyKey>): ReadonlyArray<SchemaAST.AST> =>
  path
    .reduce<ReadonlyArray<SchemaAST.AST>>(
      (nodes, key) => nodes.flatMap((n) => candidates(n)).flatMap((n) => childAt(n, key)),
      [root]
    )
    .flatMap((n) => candidates(n))

/** Effect's own words for a node, its description left out; undefined when Effect has none but the description. */
const wordsFor = (ast: SchemaAST.AST): string | undefined => {
  const { [SchemaAST.DescriptionAnnotationId]: _description, ...annotations } = ast.annotations
  switch (ast._tag) {
    case "Refinement": {
      const words = String(new SchemaAST.Refinement(ast.from, ast.filter, annotations))
      if (!words.endsWith("| filter }")) return words
      // Schema.pattern names itself only in the description it was given
      const pattern = (annotations[SchemaAST.JSONSchemaAnnotationId] as { readonly pattern?: unknown } | undefined)
        ?.pattern
      return typeof pattern === "string" ? `a string matching the pattern ${pattern}` : undefined
    }
    case "TupleType":
      return String(new SchemaAST.TupleType(ast.elements, ast.rest, ast.isReadonly, annotations))
    case "TypeLiteral":
      // the keys, not every key's whole schema (hundreds of characters)
      return `an object${ast.propertySignatures.length === 0 ? "" : ` with the keys ${ast.propertySignatures.map((p) => String(p.name)).join(", ")}`}`
    case "Union":
      return String(SchemaAST.Union.make(ast.types, annotations))
    default:
      return undefined
  }
}

/**
 * `expected` ("Expected …") reworded when what it quotes is the description of a node at `path` of `root`; any
 * other expectation (a type, a custom message) is returned as it is.
 */
export const expectationWithoutHelp = (
  root: SchemaAST.AST,
  path: ReadonlyArray<PropertyKey>,
  expected: string
): string => {
  if (!expected.startsWith("Expected ")) return expected
  const quoted = expected.slice("Expected ".length)
  const described = nodesAt(root, path).find((n) =>
    Option.exists(SchemaAST.getDescriptionAnnotation(n), (d) => d === quoted)
  )
  const words = described === undefined ? undefined : wordsFor(described)
  return words === undefined ? expected : `Expected ${words}`
}

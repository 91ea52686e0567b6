// `npm run stats`: the figures that say how easy the source is to work in — the largest files, the
// longest functions, type casts per 1,000 lines, `any`, lines over 120 characters, and for each
// check type and update method how many files spell its name (ARCHITECTURE.md quotes them).
// Source is electron/, shared/ and renderer/src (tests, benches and scripts are not counted).
// Functions and casts are found with the TypeScript compiler's parser, so strings and comments
// never count; the type and method names are read from the registries' source text (no build).
//
//   node scripts/stats.mjs [--json] [--root DIR] [--top N]
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const SOURCE_DIRS = ['electron', 'shared', 'renderer/src'];
export const REGISTRIES = {
  checkTypes: 'electron/core/checkers/registry.ts',
  updateMethods: 'electron/core/updaters/registry.ts',
};
export const LIMITS = { fileLines: 500, functionLines: 150, lineChars: 120 };
const SOURCE_FILE = /\.(ts|tsx|mts|cts)$/;
const NOT_SOURCE = /(\.d\.ts|\.test\.tsx?|\.spec\.tsx?)$/;

/** Every source file under root's source folders, as paths relative to root with forward slashes. */
export function sourceFiles(root) {
  const found = [];
  const walk = (rel) => {
    let entries;
    try {
      entries = readdirSync(path.join(root, rel), { withFileTypes: true });
    } catch (error) {
      if (error.code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      const child = `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') walk(child);
      } else if (entry.isFile() && SOURCE_FILE.test(entry.name) && !NOT_SOURCE.test(entry.name)) found.push(child);
    }
  };
  for (const dir of SOURCE_DIRS) walk(dir);
  return found.sort();
}

/** Lines as `wc -l` counts them (a last line without its newline still counts). */
export function lineCount(text) {
  if (text.length === 0) return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

function parse(file, text) {
  const kind = file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  return ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
}

function propertyName(name) {
  if (!name) return null;
  if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name))
    return name.text;
  return name.getText();
}

function ownerName(node) {
  const owner = node.parent;
  if (owner && (ts.isClassDeclaration(owner) || ts.isClassExpression(owner))) return owner.name?.text ?? '<class>';
  return null;
}

function calleeName(call) {
  const callee = call.expression;
  if (ts.isIdentifier(callee)) return callee.text;
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
  return '<call>';
}

/** A readable name for a function node: `Class.method`, the variable or property it is bound to, or where it is passed. */
export function functionName(node) {
  const qualify = (name) => {
    const owner = ownerName(node);
    return owner ? `${owner}.${name}` : name;
  };
  if (ts.isConstructorDeclaration(node)) return qualify('constructor');
  if (
    ts.isFunctionDeclaration(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node)
  ) {
    if (node.name) return qualify(propertyName(node.name));
    return 'default export';
  }
  if (ts.isFunctionExpression(node) && node.name) return node.name.text;
  let bound = node.parent;
  while (bound && (ts.isParenthesizedExpression(bound) || ts.isAsExpression(bound) || ts.isSatisfiesExpression(bound)))
    bound = bound.parent;
  if (!bound) return '<anonymous>';
  if (ts.isVariableDeclaration(bound) && ts.isIdentifier(bound.name)) return bound.name.text;
  if (ts.isPropertyAssignment(bound)) return propertyName(bound.name);
  if (ts.isPropertyDeclaration(bound)) {
    const owner = ownerName(bound);
    return owner ? `${owner}.${propertyName(bound.name)}` : propertyName(bound.name);
  }
  if (ts.isCallExpression(bound)) {
    // A function handed to a wrapper (useCallback, memo, forwardRef) takes the name it is bound to.
    const outer = functionName(bound);
    return outer === '<anonymous>' ? `${calleeName(bound)}(…) callback` : outer;
  }
  if (ts.isJsxExpression(bound) && bound.parent && ts.isJsxAttribute(bound.parent))
    return `${bound.parent.name.getText()} handler`;
  if (ts.isExportAssignment(bound)) return 'default export';
  // A curried function: the function another one returns takes its name.
  if (ts.isArrowFunction(bound) && bound.body === node) return `${functionName(bound)} (returned)`;
  return '<anonymous>';
}

const FUNCTION_KINDS = new Set([
  ts.SyntaxKind.FunctionDeclaration,
  ts.SyntaxKind.FunctionExpression,
  ts.SyntaxKind.ArrowFunction,
  ts.SyntaxKind.MethodDeclaration,
  ts.SyntaxKind.Constructor,
  ts.SyntaxKind.GetAccessor,
  ts.SyntaxKind.SetAccessor,
]);

function isConstAssertion(type) {
  return ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName) && type.typeName.text === 'const';
}

function isCast(node) {
  return (ts.isAsExpression(node) || ts.isTypeAssertionExpression(node)) && !isConstAssertion(node.type);
}

/**
 * One file's figures. A chained cast (`x as unknown as T`) is one cast: it is one place where the
 * code overrides the compiler. `as const` is no cast (it narrows, it never widens or lies).
 */
export function fileStats(file, text) {
  const source = parse(file, text);
  const functions = [];
  let casts = 0;
  let anys = 0;
  const visit = (node) => {
    if (FUNCTION_KINDS.has(node.kind) && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.end).line;
      functions.push({ name: functionName(node), file, line: first + 1, lines: last - first + 1 });
    }
    if (isCast(node)) {
      let inner = node.expression;
      while (ts.isParenthesizedExpression(inner)) inner = inner.expression;
      if (!isCast(inner)) casts += 1;
    }
    if (node.kind === ts.SyntaxKind.AnyKeyword) anys += 1;
    ts.forEachChild(node, visit);
  };
  visit(source);
  const longLines = text.split('\n').filter((line) => [...line.replace(/\r$/, '')].length > LIMITS.lineChars).length;
  return { file, lines: lineCount(text), functions, casts, anys, longLines, source };
}

/** The keys of the first registry object a registry file exports (`export const CHECKERS = { github_release: …, … }`). */
export function registryKeys(file, text) {
  const source = parse(file, text);
  for (const statement of source.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    if (!statement.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    for (const declaration of statement.declarationList.declarations) {
      let init = declaration.initializer;
      while (init && (ts.isSatisfiesExpression(init) || ts.isAsExpression(init) || ts.isParenthesizedExpression(init)))
        init = init.expression;
      // A registry built by a helper (`defineRegistry({ … })`) names its keys in the object it is given.
      if (init && ts.isCallExpression(init) && init.arguments[0] && ts.isObjectLiteralExpression(init.arguments[0]))
        init = init.arguments[0];
      if (!init || !ts.isObjectLiteralExpression(init)) continue;
      const keys = init.properties
        .filter((p) => ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p))
        .map((p) => propertyName(p.name));
      if (keys.length) return keys;
    }
  }
  throw new Error(
    `${file} exports no registry object (\`export const NAME = { key: … }\`): the stats cannot tell the names to count.`,
  );
}

function readRegistry(root, file) {
  try {
    return readFileSync(path.join(root, file), 'utf8');
  } catch (error) {
    throw new Error(
      `Cannot read the registry ${file} under ${root} (${error.code ?? error.message}): the stats need it to know the check types and update methods.`,
      { cause: error },
    );
  }
}

/** The names a file spells: string literals (and property names) exactly equal to one of `names`. */
function spelledNames(source, names) {
  const found = new Set();
  const visit = (node) => {
    if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && names.has(node.text))
      found.add(node.text);
    else if (ts.isIdentifier(node) && names.has(node.text) && node.parent && isPropertyNameOf(node))
      found.add(node.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function isPropertyNameOf(node) {
  const parent = node.parent;
  return (
    ((ts.isPropertyAssignment(parent) ||
      ts.isPropertySignature(parent) ||
      ts.isPropertyDeclaration(parent) ||
      ts.isMethodDeclaration(parent)) &&
      parent.name === node) ||
    (ts.isShorthandPropertyAssignment(parent) && parent.name === node) ||
    (ts.isPropertyAccessExpression(parent) && parent.name === node)
  );
}

function spelling(names, perFile) {
  return names
    .map((name) => ({ name, files: perFile.filter((f) => f.has(name)).length }))
    .sort((a, b) => b.files - a.files || a.name.localeCompare(b.name));
}

/** Every figure for the tree at root. */
export function collectStats(root, { top = 5 } = {}) {
  const files = sourceFiles(root);
  const [checkTypes, updateMethods] = [REGISTRIES.checkTypes, REGISTRIES.updateMethods].map((file) =>
    registryKeys(file, readRegistry(root, file)),
  );
  const allNames = new Set([...checkTypes, ...updateMethods]);
  const perFile = [];
  const spelled = [];
  for (const file of files) {
    const stats = fileStats(file, readFileSync(path.join(root, file), 'utf8'));
    spelled.push(spelledNames(stats.source, allNames));
    delete stats.source;
    perFile.push(stats);
  }
  const lines = perFile.reduce((sum, f) => sum + f.lines, 0);
  const casts = perFile.reduce((sum, f) => sum + f.casts, 0);
  const functions = perFile
    .flatMap((f) => f.functions)
    .sort((a, b) => b.lines - a.lines || a.file.localeCompare(b.file) || a.line - b.line);
  const bySize = perFile
    .map(({ file, lines: n }) => ({ file, lines: n }))
    .sort((a, b) => b.lines - a.lines || a.file.localeCompare(b.file));
  return {
    files: files.length,
    lines,
    largestFiles: bySize.slice(0, top),
    longestFunctions: functions.slice(0, top),
    functionCount: functions.length,
    casts: { count: casts, per1000Lines: lines ? Math.round((casts / lines) * 10000) / 10 : 0 },
    any: perFile.reduce((sum, f) => sum + f.anys, 0),
    linesOver120: perFile.reduce((sum, f) => sum + f.longLines, 0),
    spelled: { checkTypes: spelling(checkTypes, spelled), updateMethods: spelling(updateMethods, spelled) },
    overLimits: {
      filesOver500Lines: bySize.filter((f) => f.lines > LIMITS.fileLines),
      functionsOver150Lines: functions.filter((f) => f.lines > LIMITS.functionLines),
    },
  };
}

export function formatStats(stats) {
  const n = (value) => value.toLocaleString('en-US');
  const out = [];
  out.push(`Source: ${n(stats.files)} files, ${n(stats.lines)} lines (${SOURCE_DIRS.join(', ')})`);
  out.push('', 'Largest files:');
  for (const f of stats.largestFiles) out.push(`  ${String(f.lines).padStart(6)}  ${f.file}`);
  out.push('', `Longest functions (of ${n(stats.functionCount)}):`);
  for (const f of stats.longestFunctions) out.push(`  ${String(f.lines).padStart(6)}  ${f.name}  ${f.file}:${f.line}`);
  out.push('');
  out.push(
    `Type casts: ${n(stats.casts.count)} (${stats.casts.per1000Lines} per 1,000 lines; \`as const\` not counted, \`as unknown as T\` counted once)`,
  );
  out.push(`any: ${n(stats.any)}`);
  out.push(`Lines over ${LIMITS.lineChars} characters: ${n(stats.linesOver120)}`);
  for (const [title, list] of [
    ['Files that spell each check type', stats.spelled.checkTypes],
    ['Files that spell each update method', stats.spelled.updateMethods],
  ]) {
    out.push('', `${title}:`);
    out.push(`  ${list.map((s) => `${s.name} ${s.files}`).join(', ')}`);
  }
  const { filesOver500Lines: files, functionsOver150Lines: functions } = stats.overLimits;
  out.push(
    '',
    `Over the limits (files > ${LIMITS.fileLines} lines, functions > ${LIMITS.functionLines} lines): ${files.length} files, ${functions.length} functions`,
  );
  for (const f of files) out.push(`  file      ${String(f.lines).padStart(6)}  ${f.file}`);
  for (const f of functions) out.push(`  function  ${String(f.lines).padStart(6)}  ${f.name}  ${f.file}:${f.line}`);
  return out.join('\n');
}

function main(argv) {
  let root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
  let json = false;
  let top = 5;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') json = true;
    else if (arg === '--root' && argv[i + 1]) root = path.resolve(argv[++i]);
    else if (arg === '--top' && /^\d+$/.test(argv[i + 1] ?? '')) top = Number(argv[++i]);
    else {
      console.error(`Unknown option ${arg}. Usage: node scripts/stats.mjs [--json] [--root DIR] [--top N]`);
      process.exit(2);
    }
  }
  let stats;
  try {
    stats = collectStats(root, { top });
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
  if (stats.files === 0) {
    console.error(`No source files under ${SOURCE_DIRS.map((d) => path.join(root, d)).join(', ')}.`);
    process.exit(1);
  }
  console.log(json ? JSON.stringify(stats, null, 2) : formatStats(stats));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2));

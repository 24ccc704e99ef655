/*
 * The docs check's machinery (test/docs.e2e-spec.ts): reads the fenced blocks of a Markdown
 * file with their `<!-- docs-check: … -->` markers, and turns a ```sh block into a bash script
 * that runs it as written and stops at the first request whose HTTP status is not the one the
 * docs state.
 *
 * The rules a runnable block follows (docs/api.md's intro says them for its readers):
 * - The first comment line directly after code states the status of every request made since
 *   the previous such line: `# 201 {"id":…}`, `# 204; …`. A comment there that states none, or
 *   the end of the block, with requests still unchecked fails the check ("no status
 *   documented"); a status with no request before it fails too. A status may also end the
 *   command's own line (`curl … # 200 …`).
 * - Further comment lines are prose; `#` inside quotes and here-documents is not a comment.
 * - Variables the block assigns (`NAME=…` at the start of a command) carry over to the blocks
 *   after it, as they would in the reader's terminal.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DocBlock {
  /** The info string's first word: sh, json, js, text… */
  lang: string;
  /** 1-based line in the Markdown file of the block's first content line. */
  line: number;
  lines: string[];
  /** The `## ` heading the block sits under. */
  section: string;
  /** `skip: <reason>` or `given <fixture>[, <fixture>]`, from the marker just before the fence. */
  marker: { skip: string } | { given: string[] } | null;
}

const MARKER = /^<!--\s*docs-check:\s*(.*?)\s*-->$/;

export function readBlocks(path: string): DocBlock[] {
  const text = readFileSync(path, 'utf8').split('\n');
  const blocks: DocBlock[] = [];
  let section = '';
  for (let i = 0; i < text.length; i++) {
    const heading = /^##\s+(.*)$/.exec(text[i]);
    if (heading) section = heading[1].trim();
    const fence = /^```(\S*)/.exec(text[i]);
    if (!fence) continue;
    const start = i + 1;
    let end = start;
    while (end < text.length && !text[end].startsWith('```')) end++;
    let prev = i - 1;
    while (prev >= 0 && text[prev].trim() === '') prev--;
    const m = prev >= 0 ? MARKER.exec(text[prev].trim()) : null;
    blocks.push({
      lang: fence[1] || 'text',
      line: start + 1,
      lines: text.slice(start, end),
      section,
      marker: m ? parseMarker(m[1], prev + 1) : null,
    });
    i = end;
  }
  return blocks;
}

function parseMarker(body: string, line: number): DocBlock['marker'] {
  const skip = /^skip:\s*(.+)$/.exec(body);
  if (skip) return { skip: skip[1] };
  const given = /^given\s+(.+)$/.exec(body);
  if (given) return { given: given[1].split(',').map((s) => s.trim()) };
  throw new Error(
    `docs line ${line}: docs-check marker "${body}" is neither "skip: …" nor "given …"`,
  );
}

/** A status comment: `# 201 …`, `# 204; …`. */
const STATUS = /^#\s*(\d{3})\b/;

/**
 * Splits one code line into its code and trailing comment, `quote` being the quote open at the
 * start of the line (multi-line strings); returns the quote open at its end too.
 */
function scan(
  line: string,
  quote: string | null,
): { comment: string | null; quote: string | null } {
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote === "'") {
      if (c === "'") quote = null;
    } else if (c === '\\') {
      i++;
    } else if (quote === '"') {
      if (c === '"') quote = null;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) {
      return { comment: line.slice(i), quote };
    }
  }
  return { comment: null, quote };
}

export interface BlockScript {
  script: string;
  /** Variables the block assigns, to carry over. */
  assigns: string[];
  /** How many status checks the script makes (each passed one adds a line to $DOCS_CHECKS). */
  checks: number;
  /** The docs line a line of the script comes from (for bash's own error messages). */
  docsLine: (scriptLine: number) => number | null;
}

const PRELUDE = readFileSync(join(__dirname, 'docs-check.sh'), 'utf8').trimEnd().split('\n');

/**
 * The bash script for a ```sh block: the prelude (docs-check.sh: a `curl` that logs each
 * response's status, and the check), the block's lines as written with a check after every
 * status comment, and at the end the assigned variables written to $DOCS_VARS.
 */
export function blockScript(block: DocBlock): BlockScript {
  const out: string[] = [...PRELUDE];
  const origin: (number | null)[] = PRELUDE.map(() => null);
  const emit = (text: string, line: number | null) => {
    out.push(text);
    origin.push(line);
  };
  const assigns = new Set<string>();
  let checks = 0;
  let heredoc: string | null = null;
  let quote: string | null = null;
  let afterCode = false;
  let continued = false; // the previous code line ended with a backslash
  block.lines.forEach((text, i) => {
    const line = block.line + i;
    if (heredoc !== null) {
      emit(text, line);
      if (text.trim() === heredoc) heredoc = null;
      return;
    }
    const trimmed = text.trim();
    if (quote === null && trimmed.startsWith('#')) {
      if (afterCode) {
        const status = STATUS.exec(trimmed);
        emit(`__docs_expect ${status ? status[1] : 'none'} ${line}`, line);
        if (status) checks++;
      }
      emit(text, line);
      afterCode = false;
      return;
    }
    if (trimmed === '') {
      emit(text, line);
      return;
    }
    const startsCommand = quote === null && !continued;
    const assigned = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(trimmed);
    if (startsCommand && assigned) assigns.add(assigned[1]);
    const scanned = scan(text, quote);
    quote = scanned.quote;
    // `<<EOF` or `<<'EOF'` (not a `<<<` here-string): the lines up to EOF are its text.
    const doc = /(?<!<)<<-?\s*(['"]?)([A-Za-z_]+)\1(?![\w<])/.exec(text);
    if (doc && quote === null) heredoc = doc[2];
    emit(text, line);
    afterCode = true;
    continued = /\\$/.test(text);
    const trailing = scanned.comment ? STATUS.exec(scanned.comment) : null;
    if (trailing && quote === null && heredoc === null && !continued) {
      emit(`__docs_expect ${trailing[1]} ${line}`, line);
      checks++;
      afterCode = false;
    }
  });
  if (quote !== null || heredoc !== null) {
    throw new Error(`docs line ${block.line}: the block ends inside a string or here-document`);
  }
  const end = block.line + block.lines.length;
  emit(`__docs_expect end ${end}`, end);
  emit(`: > "$DOCS_VARS"`, null);
  emit(
    `for __v in ${[...assigns].join(' ')}; do printf '%s\\0%s\\0' "$__v" "\${!__v-}" >> "$DOCS_VARS"; done`,
    null,
  );
  emit('echo DOCS-BLOCK-DONE', null);
  return {
    script: out.join('\n') + '\n',
    assigns: [...assigns],
    checks,
    docsLine: (n) => origin[n - 1] ?? null,
  };
}

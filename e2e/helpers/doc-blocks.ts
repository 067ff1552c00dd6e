/**
 * Extracts the program examples of README.md and docs/*.md for the docs-run test
 * (the convention is in docs/README.md, "Examples that run"):
 * - every ```ts / ```js / ```mjs block is a program that is run, unless the line right before it
 *   is `<!-- not-run: reason -->` (a fragment, a signature, multi-host set-up, ...);
 * - a line `// name.ts` (or `.js` / `.mjs`, optionally followed by `:` or ` — ` and prose) starts a
 *   file of that name; adjacent blocks whose files are named form one project, run from `main.*`
 *   (or the last file when there is no main);
 * - `// prints: text` in a file: the run's stdout must contain `text`.
 */
import { readFileSync } from 'node:fs';

export interface DocFile {
  readonly name: string;
  readonly text: string;
}

export interface DocProgram {
  /** e.g. `docs/grpc.md:18`: where its first block starts. */
  readonly id: string;
  readonly files: DocFile[];
  readonly entry: string;
  readonly prints: string[];
}

export interface SkippedBlock {
  readonly id: string;
  readonly reason: string;
}

export interface DocBlocks {
  readonly programs: DocProgram[];
  readonly skipped: SkippedBlock[];
  /** Marker mistakes: a `not-run` without a reason, or one that marks no program block. */
  readonly problems: string[];
}

const FENCE_OPEN = /^(\s*)```(\S*)\s*$/;
const PROGRAM_LANG = /^(ts|js|mjs)$/;
const NOT_RUN = /^\s*<!--\s*not-run:?\s*(.*?)\s*-->\s*$/;
const FILE_LINE = /^\/\/ ([\w./-]+\.(?:ts|mjs|js))(?=$|:|\s)/;
const PRINTS = /\/\/ prints: (.+)$/;

interface Block {
  readonly line: number;
  readonly lang: string;
  readonly body: string[];
  readonly marker: string | null;
}

function blocksOf(text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE_OPEN.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const indent = open[1]!.length; // a block inside a list item is indented
    const body: string[] = [];
    for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i]!); i++) body.push(lines[i]!.slice(indent));
    let before = start - 1;
    while (before >= 0 && lines[before]!.trim() === '') before--;
    const marker = before >= 0 && NOT_RUN.test(lines[before]!) ? lines[before]! : null;
    blocks.push({ line: start + 1, lang: open[2] ?? '', body, marker });
  }
  return blocks;
}

/** Splits a block into named files; an unnamed block is one file `main.<ext>`. */
function filesOf(block: Block): { files: DocFile[]; named: boolean } {
  const files: DocFile[] = [];
  let name: string | null = null;
  let current: string[] = [];
  const flush = () => {
    if (name !== null || current.some((l) => l.trim() !== ''))
      files.push({ name: name ?? `main.${block.lang}`, text: `${current.join('\n')}\n` });
  };
  for (const line of block.body) {
    const file = FILE_LINE.exec(line);
    if (file) {
      flush();
      name = file[1]!;
      current = [];
    }
    current.push(line);
  }
  flush();
  return { files, named: FILE_LINE.test(block.body[0] ?? '') };
}

export function extractDocBlocks(path: string, label: string): DocBlocks {
  const programs: DocProgram[] = [];
  const skipped: SkippedBlock[] = [];
  const problems: string[] = [];
  let group: { id: string; files: DocFile[] } | null = null;
  const close = () => {
    if (!group) return;
    const main = group.files.find((f) => /^main\.(ts|js|mjs)$/.test(f.name));
    const prints = group.files.flatMap((f) =>
      f.text.split('\n').flatMap((l) => {
        const m = PRINTS.exec(l);
        return m ? [m[1]!.trim()] : [];
      }),
    );
    programs.push({ ...group, entry: (main ?? group.files.at(-1)!).name, prints });
    group = null;
  };
  for (const block of blocksOf(readFileSync(path, 'utf8'))) {
    const id = `${label}:${block.line}`;
    const program = PROGRAM_LANG.test(block.lang);
    if (block.marker !== null) {
      close();
      const reason = NOT_RUN.exec(block.marker)![1]!;
      if (!program)
        problems.push(
          `${id}: a not-run marker before a \`${block.lang || 'plain'}\` block (only programs run)`,
        );
      else if (reason === '') problems.push(`${id}: <!-- not-run --> needs a reason: <!-- not-run: why -->`);
      else skipped.push({ id, reason });
      continue;
    }
    if (!program) {
      close();
      continue;
    }
    const { files, named } = filesOf(block);
    // adjacent blocks with named files make one project (tasks.ts, then main.ts)
    if (group && named && !group.files.some((f) => /^main\./.test(f.name))) group.files.push(...files);
    else {
      close();
      group = { id, files: [...files] };
    }
    if (!named) close();
  }
  close();
  return { programs, skipped, problems };
}

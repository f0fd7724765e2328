// Keeps README.md and action.yml in step. The README's tables follow one
// convention, which this file enforces:
//   ## Inputs   | Input | Default | Description |
//   ## Outputs  | Output | Description |
// A name is written in backticks. Default shows action.yml's default in
// backticks (`false`, `3`); an empty default ('') is "(none)", and a
// required input without a default is "(required)". Fallbacks to
// environment variables are not defaults action.yml can declare, so they
// are described in the Description column.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

interface InputSpec {
  required?: boolean;
  default?: string | number | boolean;
}

interface ActionManifest {
  inputs?: Record<string, InputSpec>;
  outputs?: Record<string, unknown>;
}

const ROOT = new URL('../', import.meta.url);
const readme = readFileSync(new URL('README.md', ROOT), 'utf8');
const manifest = parse(
  readFileSync(new URL('action.yml', ROOT), 'utf8'),
) as ActionManifest;

const SETUP_COMMANDS = [
  'npm ci && npm run demo   # push a small image end to end on a local ' +
    'engine, registry and ECR stand-in (as root)',
  'npm test                 # type-check, lint, dist check, unit and end-to-end tests (as root)',
];

/** The text under a `## heading`, up to the next heading of that level. */
function section(markdown: string, heading: string): string {
  const lines = markdown.split('\n');
  const start = lines.indexOf(`## ${heading}`);
  if (start < 0) throw new Error(`README.md has no "## ${heading}" section`);
  const end = lines.findIndex((line, i) => i > start && /^## /.test(line));
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

/** Splits a table row at the pipes that are not escaped as `\|`. */
function cells(row: string): string[] {
  return row
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());
}

/** The first table of some markdown: header cells and body rows. */
function firstTable(markdown: string): { header: string[]; rows: string[][] } {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.trimStart().startsWith('|'));
  if (start < 0) throw new Error('no table found');
  const table: string[] = [];
  for (const line of lines.slice(start)) {
    if (!line.trimStart().startsWith('|')) break;
    table.push(line);
  }
  const [header = '', , ...rows] = table;
  return { header: cells(header), rows: rows.map(cells) };
}

/** The names of a table's first column, which must be in backticks. */
function namesOf(rows: string[][]): string[] {
  return rows.map((row) => {
    const match = /^`([a-z0-9-]+)`$/.exec(row[0] ?? '');
    if (!match) throw new Error(`not a name in backticks: ${row[0]}`);
    return match[1]!;
  });
}

/** How the Default column shows what action.yml declares. */
function shownDefault(spec: InputSpec): string {
  if (spec.default === undefined || spec.default === '') {
    return spec.required ? '(required)' : '(none)';
  }
  return `\`${String(spec.default)}\``;
}

const inputs = firstTable(section(readme, 'Inputs'));
const outputs = firstTable(section(readme, 'Outputs'));
const declaredInputs = manifest.inputs ?? {};
const declaredOutputs = manifest.outputs ?? {};

test('opens with the two set-up commands, right after the title', () => {
  const lines = readme.split('\n');
  expect(lines[0]).toMatch(/^# /);
  const next = lines.slice(1).findIndex((line) => line.trim() !== '') + 1;
  expect(lines[next]).toBe('```sh');
  const close = lines.indexOf('```', next + 1);
  expect(lines.slice(next + 1, close)).toEqual(SETUP_COMMANDS);
});

test('the tables have the documented columns', () => {
  expect(inputs.header).toEqual(['Input', 'Default', 'Description']);
  expect(outputs.header).toEqual(['Output', 'Description']);
});

test('documents every input of action.yml once, and no other', () => {
  const names = namesOf(inputs.rows);
  expect([...names].sort()).toEqual(Object.keys(declaredInputs).sort());
  expect(new Set(names).size).toBe(names.length);
});

test("shows each input's default as action.yml declares it", () => {
  const shown = Object.fromEntries(
    inputs.rows.map((row) => [namesOf([row])[0], row[1]]),
  );
  const declared = Object.fromEntries(
    Object.entries(declaredInputs).map(([name, spec]) => [
      name,
      shownDefault(spec),
    ]),
  );
  expect(shown).toEqual(declared);
});

test('documents every output of action.yml once, and no other', () => {
  const names = namesOf(outputs.rows);
  expect([...names].sort()).toEqual(Object.keys(declaredOutputs).sort());
  expect(new Set(names).size).toBe(names.length);
});

test('every input and output has a description', () => {
  for (const row of [...inputs.rows, ...outputs.rows]) {
    expect(row.at(-1)).not.toBe('');
  }
});

test('the Default convention itself', () => {
  expect(shownDefault({ required: true })).toBe('(required)');
  expect(shownDefault({ default: '' })).toBe('(none)');
  expect(shownDefault({})).toBe('(none)');
  expect(shownDefault({ default: 'false' })).toBe('`false`');
  expect(shownDefault({ default: 3 })).toBe('`3`');
});

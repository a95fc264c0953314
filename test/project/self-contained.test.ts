// A user's clone has only this repository: no tracked file may point at the workspace's shared folder
// (the reference notes the project was started from live outside the repository, beside it). The docs
// that matter are in docs/. Checked over `git ls-files`, so a new file is covered the moment it is added.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// Spelled in pieces so this file does not match itself.
const SHARED = 'sha' + 'red';
const OUTSIDE = new RegExp(`\\.\\./${SHARED}\\b|${SHARED}/docs|/work/${SHARED}\\b`);

function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files', '-z'], { encoding: 'utf8' }).split('\0').filter((f) => f !== '');
}

describe('the repository is self-contained', () => {
  it('no tracked file refers to the shared folder outside the repository', () => {
    const files = trackedFiles();
    expect(files.length).toBeGreaterThan(100); // running inside a git checkout, not an empty listing
    const offenders: string[] = [];
    for (const f of files) {
      let text: string;
      try {
        text = readFileSync(f, 'latin1');
      } catch {
        continue; // listed but absent (deleted in the work tree)
      }
      if (text.includes('\0')) continue; // binary (ELF, ...)
      text.split('\n').forEach((line, i) => {
        if (OUTSIDE.test(line)) offenders.push(`${f}:${i + 1}: ${line.trim().slice(0, 120)}`);
      });
    }
    expect(offenders).toEqual([]);
  });

  it('the check itself finds a reference', () => {
    expect(OUTSIDE.test(`see ../${SHARED}/docs/X.md`)).toBe(true);
    expect(OUTSIDE.test(`in /work/${SHARED}/seeds/`)).toBe(true);
    expect(OUTSIDE.test('docs/semantics.md')).toBe(false);
  });
});

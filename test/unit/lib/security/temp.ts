import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh private directory per test, removed after it. */
export function useTempDir(): { readonly path: string } {
  const state = { path: '' };
  beforeEach(() => {
    state.path = mkdtempSync(join(tmpdir(), 'onelink-security-'));
  });
  afterEach(() => {
    rmSync(state.path, { recursive: true, force: true });
  });
  return state;
}

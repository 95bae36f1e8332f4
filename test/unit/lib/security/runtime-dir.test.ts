import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeDirError } from '../../../../lib/security/errors.js';
import { ensureRuntimeDir, resolveRuntimeDir } from '../../../../lib/security/runtime-dir.js';
import { OTHER_UID, SKIP_REASON, canSwitchUser, probeAsOtherUser } from '../../../support/other-user.js';
import { useTempDir } from './temp.js';

async function refused(dir: string, message: RegExp): Promise<void> {
  await assert.rejects(ensureRuntimeDir(dir), (e: unknown) => {
    assert.ok(e instanceof RuntimeDirError, String(e));
    assert.equal(e.code, 'ERR_ONELINK_RUNTIME_DIR');
    assert.equal(e.path, dir);
    assert.match(e.message, message);
    return true;
  });
}

describe('security: runtime directory', () => {
  const temp = useTempDir();

  it('resolves ONELINK_RUNTIME_DIR, else $XDG_RUNTIME_DIR/onelink, else <tmpdir>/onelink-<uid>', () => {
    assert.equal(resolveRuntimeDir({ env: { ONELINK_RUNTIME_DIR: '/x/y', XDG_RUNTIME_DIR: '/run/user/5' } }), '/x/y');
    assert.equal(resolveRuntimeDir({ env: { XDG_RUNTIME_DIR: '/run/user/5' } }), '/run/user/5/onelink');
    assert.equal(resolveRuntimeDir({ env: {}, uid: 1234, tmpdir: '/tmp' }), '/tmp/onelink-1234');
    assert.equal(resolveRuntimeDir({ env: { ONELINK_RUNTIME_DIR: '', XDG_RUNTIME_DIR: '' }, uid: 7, tmpdir: '/var/tmp' }), '/var/tmp/onelink-7');
  });

  it('creates the directory with mode 0700, and accepts it again', async () => {
    const dir = join(temp.path, 'onelink');
    assert.equal(await ensureRuntimeDir(dir), dir);
    const stats = statSync(dir);
    assert.ok(stats.isDirectory());
    assert.equal(stats.mode & 0o777, 0o700);
    assert.equal(await ensureRuntimeDir(dir), dir);
  });

  it('accepts an existing directory of this user that others can read but not write', async () => {
    const dir = join(temp.path, 'onelink');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    assert.equal(await ensureRuntimeDir(dir), dir);
  });

  it('refuses a directory writable by every user or by its group, saying how to fix it', async () => {
    const dir = join(temp.path, 'onelink');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    await refused(dir, /is writable by every user \(mode 0777\): run chmod 700 /);
    chmodSync(dir, 0o770);
    await refused(dir, /is writable by its group \(mode 0770\)/);
  });

  it('refuses a symbolic link, even to a good directory', async () => {
    const real = join(temp.path, 'real');
    mkdirSync(real, { mode: 0o700 });
    const dir = join(temp.path, 'onelink');
    symlinkSync(real, dir);
    await refused(dir, /is a symbolic link, not a directory: remove it/);
  });

  it('refuses a file in its place', async () => {
    const dir = join(temp.path, 'onelink');
    writeFileSync(dir, '');
    await refused(dir, /is not a directory/);
  });

  it('says what to do when the parent is missing', async () => {
    await refused(join(temp.path, 'missing', 'onelink'), /its parent does not exist; create it, or set ONELINK_RUNTIME_DIR/);
  });

  it('refuses a directory pre-created by another user', async function () {
    if (!canSwitchUser()) this.skip();
    const dir = join(temp.path, `onelink-${process.getuid!()}`);
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, OTHER_UID, OTHER_UID);
    await refused(dir, new RegExp(`is owned by uid ${OTHER_UID}, not by this process's uid 0: remove it \\(it may have been created by another user`));
  });

  it(`cannot be listed or read by another OS user (skipped unless root: ${SKIP_REASON})`, async function () {
    if (!canSwitchUser()) this.skip();
    // The temp dir itself must be traversable for the probe to reach the runtime directory.
    chmodSync(temp.path, 0o755);
    const dir = await ensureRuntimeDir(join(temp.path, 'onelink'));
    writeFileSync(join(dir, 'probe'), 'x', { mode: 0o644 });
    const probe = await probeAsOtherUser(dir, join(dir, 'probe'));
    assert.deepEqual(probe, { uid: OTHER_UID, list: 'EACCES', read: 'EACCES' });
    // Control: the same probe succeeds once the directory is opened up, so the refusal above is the mode's doing.
    chmodSync(dir, 0o755);
    assert.deepEqual(await probeAsOtherUser(dir, join(dir, 'probe')), { uid: OTHER_UID, list: 'ok', read: 'ok' });
  });
});

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  deriveEndpointKey,
  endpointKey,
  keyFilePath,
  readOrCreateKeyFile,
  tcpEndpointId,
  unixEndpointId,
} from '../../../../lib/security/endpoint-key.js';
import { KeyFileError } from '../../../../lib/security/errors.js';
import { ensureRuntimeDir } from '../../../../lib/security/runtime-dir.js';
import { OTHER_UID, SKIP_REASON, canSwitchUser, probeAsOtherUser } from '../../../support/other-user.js';
import { Racers } from './racers.js';
import { useTempDir } from './temp.js';

const ENDPOINT = tcpEndpointId('127.0.0.1', 7777);

async function refused(dir: string, message: RegExp): Promise<void> {
  await assert.rejects(readOrCreateKeyFile(dir, ENDPOINT), (e: unknown) => {
    assert.ok(e instanceof KeyFileError, String(e));
    assert.equal(e.code, 'ERR_ONELINK_KEY_FILE');
    assert.equal(e.path, keyFilePath(dir, ENDPOINT));
    assert.match(e.message, message);
    return true;
  });
}

describe('security: endpoint key', () => {
  const temp = useTempDir();

  it('names endpoints: tcp by host and port, unix by a hash of the absolute path', () => {
    assert.equal(tcpEndpointId('127.0.0.1', 7777), 'tcp-127.0.0.1-7777');
    assert.match(unixEndpointId('/run/app.sock'), /^unix-[0-9a-f]{32}$/);
    assert.equal(unixEndpointId('/run/app.sock'), unixEndpointId('/run/../run/app.sock'));
    assert.notEqual(unixEndpointId('/run/app.sock'), unixEndpointId('/run/app2.sock'));
    assert.throws(() => keyFilePath(temp.path, '../escape'), RangeError);
    assert.throws(() => keyFilePath(temp.path, ''), RangeError);
  });

  it('creates a 32-byte key readable by its owner only, and returns the same key afterwards', async () => {
    const key = await readOrCreateKeyFile(temp.path, ENDPOINT);
    assert.equal(key.length, 32);
    const path = keyFilePath(temp.path, ENDPOINT);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(readFileSync(path), key);
    assert.deepEqual(await readOrCreateKeyFile(temp.path, ENDPOINT), key);
    assert.notDeepEqual(await readOrCreateKeyFile(temp.path, tcpEndpointId('127.0.0.1', 7778)), key);
    // No temporary file is left behind.
    assert.deepEqual(readdirSync(temp.path).sort(), ['tcp-127.0.0.1-7777.key', 'tcp-127.0.0.1-7778.key']);
  });

  it('8 processes creating the key at once all end up with the same key', async function () {
    this.timeout(150000);
    const racers = await Racers.start(8);
    try {
      for (let round = 0; round < 5; round++) {
        const endpointId = tcpEndpointId('127.0.0.1', 9000 + round);
        const keys = await racers.race({ op: 'key', dir: temp.path, endpointId });
        const winner = readFileSync(keyFilePath(temp.path, endpointId)).toString('hex');
        assert.deepEqual(keys, keys.map(() => ({ key: winner })), `round ${round}`);
      }
      assert.equal(readdirSync(temp.path).filter((name) => name.endsWith('.tmp')).length, 0);
    } finally {
      await racers.stop();
    }
  });

  it('refuses a key file readable by others, of the wrong size, a symlink, a directory or a FIFO', async () => {
    const path = keyFilePath(temp.path, ENDPOINT);
    writeFileSync(path, Buffer.alloc(32), { mode: 0o644 });
    chmodSync(path, 0o644);
    await refused(temp.path, /is accessible to other users \(mode 0644\): delete it/);
    chmodSync(path, 0o600);
    writeFileSync(path, Buffer.alloc(31));
    await refused(temp.path, /holds 31 bytes, not 32: it is corrupt, delete it/);
    writeFileSync(path, Buffer.alloc(0));
    await refused(temp.path, /holds 0 bytes/);
    writeFileSync(join(temp.path, 'elsewhere'), Buffer.alloc(32), { mode: 0o600 });
    execFileSync('rm', [path]);
    symlinkSync(join(temp.path, 'elsewhere'), path);
    await refused(temp.path, /is a symbolic link: delete it/);
    execFileSync('rm', [path]);
    mkdirSync(path);
    await refused(temp.path, /is not a regular file/);
    execFileSync('rmdir', [path]);
    execFileSync('mkfifo', ['-m', '600', path]);
    await refused(temp.path, /is not a regular file/);
  });

  it('refuses a key file of another owner', async function () {
    if (!canSwitchUser()) this.skip();
    const path = keyFilePath(temp.path, ENDPOINT);
    writeFileSync(path, Buffer.alloc(32), { mode: 0o600 });
    chownSync(path, OTHER_UID, OTHER_UID);
    await refused(temp.path, new RegExp(`is owned by uid ${OTHER_UID}, not by this process's uid 0: delete it`));
  });

  it(`cannot be read by another OS user (skipped unless root: ${SKIP_REASON})`, async function () {
    if (!canSwitchUser()) this.skip();
    chmodSync(temp.path, 0o755);
    const dir = await ensureRuntimeDir(join(temp.path, 'onelink'));
    await readOrCreateKeyFile(dir, ENDPOINT);
    const path = keyFilePath(dir, ENDPOINT);
    assert.deepEqual(await probeAsOtherUser(dir, path), { uid: OTHER_UID, list: 'EACCES', read: 'EACCES' });
    // Even with the directory opened up, the file's own mode keeps the key private.
    chmodSync(dir, 0o755);
    assert.deepEqual(await probeAsOtherUser(dir, path), { uid: OTHER_UID, list: 'ok', read: 'EACCES' });
  });

  describe('derived from a secret', () => {
    it('is the same for the same secret and endpoint, and differs otherwise', () => {
      const key = deriveEndpointKey('s3cret', ENDPOINT);
      assert.equal(key.length, 32);
      assert.deepEqual(deriveEndpointKey(Buffer.from('s3cret'), ENDPOINT), key);
      assert.notDeepEqual(deriveEndpointKey('s3cret', tcpEndpointId('127.0.0.1', 7778)), key);
      assert.notDeepEqual(deriveEndpointKey('s3cret!', ENDPOINT), key);
      assert.throws(() => deriveEndpointKey('', ENDPOINT), /must not be empty/);
    });

    it('uses no file: neither the runtime directory nor a key file is touched', async () => {
      const dir = join(temp.path, 'never-created');
      assert.deepEqual(await endpointKey({ endpointId: ENDPOINT, secret: 's3cret', runtimeDir: dir }), deriveEndpointKey('s3cret', ENDPOINT));
      assert.deepEqual(
        await endpointKey({ endpointId: ENDPOINT, env: { ONELINK_SECRET: 'from-env', ONELINK_RUNTIME_DIR: dir } }),
        deriveEndpointKey('from-env', ENDPOINT),
      );
      assert.deepEqual(readdirSync(temp.path), []);
    });

    it('an empty ONELINK_SECRET counts as unset: the key file is used', async () => {
      const dir = join(temp.path, 'onelink');
      const key = await endpointKey({ endpointId: ENDPOINT, env: { ONELINK_SECRET: '', ONELINK_RUNTIME_DIR: dir } });
      assert.deepEqual(readFileSync(keyFilePath(dir, ENDPOINT)), key);
      assert.equal(statSync(dir).mode & 0o777, 0o700);
    });
  });
});

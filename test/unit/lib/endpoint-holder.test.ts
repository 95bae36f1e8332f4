import assert from 'node:assert/strict';
import { describeHolder, tcpListenersOn, unixListenersAt } from '../../../lib/endpoint-holder.js';

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1E61 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1E61 0100007F:A1B2 01 00000000:00000000 00:00000000 00000000     0        0 4343 1 0000000000000000 20 4 30 10 -1
   2: 00000000:1E62 00000000:0000 0A 00000000:00000000 00:00000000 00000000 65534        0 4444 1 0000000000000000 100 0 0 10 0
   3: garbage
`;

const UNIX = `Num       RefCount Protocol Flags    Type St Inode Path
0000000000000000: 00000002 00000000 00010000 0001 01 5151 /run/user/0/onelink/app.sock
0000000000000000: 00000003 00000000 00000000 0001 03 5252 /run/user/0/onelink/app.sock
0000000000000000: 00000002 00000000 00010000 0001 01 5353 /tmp/with space.sock
`;

describe('endpoint holder: /proc/net parsing', () => {
  it('finds the listening socket on a port, not the connections that share it', () => {
    assert.deepEqual(tcpListenersOn(TCP, 0x1e61), [{ uid: 0, inode: 4242 }]);
    assert.deepEqual(tcpListenersOn(TCP, 0x1e62), [{ uid: 65534, inode: 4444 }]);
    assert.deepEqual(tcpListenersOn(TCP, 0x1e63), []);
  });

  it('finds a listening Unix socket by path, spaces included, not its accepted connections', () => {
    assert.deepEqual(unixListenersAt(UNIX, '/run/user/0/onelink/app.sock'), [{ uid: null, inode: 5151 }]);
    assert.deepEqual(unixListenersAt(UNIX, '/tmp/with space.sock'), [{ uid: null, inode: 5353 }]);
  });

  it('describes what is known of a holder, and nothing when nothing is', () => {
    const uid = process.getuid!();
    assert.equal(describeHolder({ pid: 12, command: 'python3', uid, inode: 1 }), `pid 12 (python3), uid ${uid} (this user)`);
    assert.equal(describeHolder({ pid: null, command: null, uid: uid + 1, inode: 1 }), `uid ${uid + 1} (another user)`);
    assert.equal(describeHolder({ pid: 7, command: null, uid: null, inode: 1 }), 'pid 7');
    assert.equal(describeHolder(null), null);
  });
});

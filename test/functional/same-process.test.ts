import assert from 'node:assert/strict';
import { cluster, OptionsMismatchError } from '../../lib/index.js';
import { EchoClient } from '../fixtures/echo-client.js';

describe('clients of one name in one process', () => {
  it('refuses a second client whose delegates differ from the first, naming the difference', async () => {
    const first = cluster(EchoClient, { name: 'same-process', singleMode: true }).delegate('syncValue').create({});
    try {
      await first.ready();
      assert.throws(
        () => cluster(EchoClient, { name: 'same-process', singleMode: true }).delegate('syncValue', 'invokeOneway').create({}),
        (err: unknown) =>
          err instanceof OptionsMismatchError &&
          err.code === 'ERR_ONELINK_OPTIONS_MISMATCH' &&
          /delegate "syncValue": existing invoke, new invokeOneway/.test(err.message),
      );
      const same = cluster(EchoClient, { name: 'same-process', singleMode: true }).delegate('syncValue').create({});
      assert.equal(await same.syncValue(2, 3), 5);
      await same.close();
    } finally {
      await first.close();
    }
  });
});

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

  it('refuses a second client of another DataClient class, even with the same methods', async () => {
    class OtherEchoClient extends EchoClient {}
    const first = cluster(EchoClient, { name: 'same-process-class', singleMode: true }).create({});
    try {
      assert.throws(() => cluster(OtherEchoClient, { name: 'same-process-class', singleMode: true }).create({}), {
        name: 'OptionsMismatchError',
        message: 'client "same-process-class" already exists in this process with other options: DataClient class: existing EchoClient, new OtherEchoClient',
      });
    } finally {
      await first.close();
    }
  });

  it('refuses a second client with other constructor arguments at create(), unless both allow them', () => {
    const first = cluster(EchoClient, { name: 'same-process-strict', singleMode: true }).create({ initDelayMs: 1 });
    try {
      assert.throws(
        () => cluster(EchoClient, { name: 'same-process-strict', singleMode: true }).create({ initDelayMs: 2 }),
        (err: OptionsMismatchError) => err.code === 'ERR_ONELINK_OPTIONS_MISMATCH' && /constructor arguments: existing digest/.test(err.message),
      );
    } finally {
      void first.close();
    }
  });

  it('serves a second client with other constructor arguments from the first one\'s DataClient when both allow it, as cluster-client does', async () => {
    const first = cluster(EchoClient, { name: 'same-process-args', singleMode: true, allowDifferentArgs: true }).create({ initDelayMs: 1 });
    try {
      const second = cluster(EchoClient, { name: 'same-process-args', singleMode: true, allowDifferentArgs: true }).create({ initDelayMs: 2 });
      assert.equal(await first.increment(), 1);
      assert.equal(await second.increment(), 2);
      await second.close();
    } finally {
      await first.close();
    }
  });
});

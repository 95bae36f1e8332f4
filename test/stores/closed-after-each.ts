// Stores opened by a test, closed after that test: call in a describe body, wrap each new store.
import type { SessionStore } from '../../lib/stores/index.js';

export function closedAfterEachTest(): <S extends SessionStore>(store: S) => S {
  const stores: SessionStore[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });
  return (store) => {
    stores.push(store);
    return store;
  };
}

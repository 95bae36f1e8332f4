// Optional peer dependencies are required lazily and synchronously, so that importing
// onelink/stores or onelink/registry works without them and the package stays loadable from CommonJS.
import { createRequire } from 'node:module';
import { MissingPeerDependencyError } from './errors.js';

const requireFromHere = createRequire(import.meta.url);

export function loadPeer<T>(packageName: string, feature: string): T {
  try {
    return requireFromHere(packageName) as T;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    const message = error instanceof Error ? error.message : '';
    // Only "this very package is absent" is a missing peer; a broken install of it is reported as is.
    if (code === 'MODULE_NOT_FOUND' && message.includes(`'${packageName}'`)) {
      throw new MissingPeerDependencyError(packageName, feature, { cause: error });
    }
    throw error;
  }
}

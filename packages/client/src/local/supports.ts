/** What the local engine supports: every feature, on the main thread and inside its tasks alike. */
import type { EngineSupports } from '../engine.js';

export const LOCAL_SUPPORTS: EngineSupports = {
  actors: true,
  nested: true,
  generators: true,
  retries: true,
  nestedRefs: true,
  resources: true,
  forceCancel: true,
  errorClasses: true,
};

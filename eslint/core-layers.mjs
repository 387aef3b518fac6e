// The order of src/core's folders, written once: eslint.config.mjs builds its per-folder import rules from it, and
// test/unit/core/architecture.test.ts checks every import (import() included) against it.

/**
 * src/core's folders, bottom first: a folder may import the ones in its own or an earlier row (and errors.ts,
 * event.ts, lifecycle.ts beside them), never a later row. docs/architecture.md ("Layers") shows the same order.
 * @type {readonly (readonly string[])[]}
 */
export const coreLayers = [['model', 'util'], ['tls'], ['net'], ['transfer'], ['store'], ['jobs']];

/** Every error class a user can meet is a PerfBridgeError exported from the package root. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as api from '../../src/index.js';

test('every error class is exported from the root and is a PerfBridgeError', () => {
  const classes = {
    KernelError: api.KernelError,
    OptionError: api.OptionError,
    EventNameError: api.EventNameError,
    ProbeConflictError: api.ProbeConflictError,
    ProbeDefinitionError: api.ProbeDefinitionError,
    ElfError: api.ElfError,
    RegistryError: api.RegistryError,
    ProbeLockTimeoutError: api.ProbeLockTimeoutError,
    SessionClosedError: api.SessionClosedError,
  };
  for (const [name, errorClass] of Object.entries(classes)) {
    assert.equal(typeof errorClass, 'function', name);
    assert.ok(errorClass.prototype instanceof api.PerfBridgeError, `${name} extends PerfBridgeError`);
  }
});

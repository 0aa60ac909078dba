// A module whose top level throws: every execution fails with the same error.
throw new Error('boom at module scope');

/** Hostile-policy fixture: top-level code that throws an object with no prototype (no message, no toString). */
throw Object.create(null);

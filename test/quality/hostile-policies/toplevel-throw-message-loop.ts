/** Hostile-policy fixture: top-level code that throws an Error whose message getter never returns. */
class LoopingError extends Error {
  override get message(): string {
    for (;;) {}
  }
}
throw new LoopingError();

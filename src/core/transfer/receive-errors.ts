// The failures a body receiver tells apart from the body's own errors: a failed local write, a body too long.

/** The write that failed: a local file error, as opposed to an error of the body (the network). */
export class LocalWriteFailure extends Error {
  constructor(readonly error: unknown) {
    super('writing the temp file failed');
  }
}

/** The body ran past the bytes it was asked for (a server whose body is longer than its Content-Range). */
export class BodyOverrun extends Error {
  constructor(readonly limit: number) {
    super(`the body ran past the ${limit} bytes asked for`);
  }
}

// How the loopback tests run Lambda code in-process, the way a Lambda container does: with the function's environment
// and with everything it writes to stdout/stderr captured (that is where its logs and EMF metrics go). Invocations may
// overlap (Lambda runs a step twice at once; an event source runs batches concurrently), so the first invocation in
// flight installs the environment and the capture and the last one removes them.
const SAVED = { ...process.env };

export type Sandbox = <T>(fn: () => Promise<T>) => Promise<T>;

export function invocationSandbox(env: Record<string, string>, output: string[]): Sandbox {
  let inFlight = 0;
  let restore: (() => void) | undefined;
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (inFlight++ === 0) {
      process.env = { ...SAVED, ...env };
      const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (output.push(String(chunk)), true));
      const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (output.push(String(chunk)), true));
      restore = () => {
        out.mockRestore();
        err.mockRestore();
        process.env = { ...SAVED };
      };
    }
    try {
      return await fn();
    } finally {
      if (--inFlight === 0) restore?.();
    }
  };
}

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A bench's helper process, spoken to in JSON lines: one answer per question, in order. */
export interface JsonLinesChild {
  child: ChildProcess;
  /** The next line it prints, parsed. */
  read(): Promise<unknown>;
  ask(question: unknown): Promise<unknown>;
  /** Sends "exit" and waits for it to end. */
  close(): Promise<void>;
}

/** Runs a bench script under tsx in its own process, so its CPU is not the measured process's. */
export function startJsonLinesChild(script: string, args: string[] = []): JsonLinesChild {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const read = async () => {
    const next = await lines.next();
    if (next.done) throw new Error(`${script} (pid ${child.pid}) ended early`);
    return JSON.parse(String(next.value)) as unknown;
  };
  return {
    child,
    read,
    ask: async (question) => {
      child.stdin!.write(`${JSON.stringify(question)}\n`);
      return read();
    },
    close: async () => {
      const exited = child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : undefined;
      child.stdin!.write('exit\n');
      await exited;
    },
  };
}
